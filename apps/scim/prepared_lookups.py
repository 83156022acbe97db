"""SCIM's hottest lookups run SQL that Django compiled once per process.

Django compiles a queryset to SQL on every evaluation; for the lookups Entra sends on every
sync (a userName filter, a user by id before each PATCH) that costs more worker CPU than the
database's own work. A `PreparedLookup` evaluates its queryset once with marker values,
keeps the SQL Django sent (through `connection.execute_wrapper`), and from then on runs that
SQL with `Manager.raw()`, the request's values in the markers' places. Why and what it
saves: docs/architecture.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction
from django.db.models import Model, QuerySet, Value, prefetch_related_objects
from django.db.models.functions import Lower

from apps.groups.models import Group
from apps.roles.models import Role
from apps.scim.mapping import USER
from apps.tenants.scoping import not_found
from apps.users.models import User
from apps.users.names import lookup_form

# A value of each kind that no request sends, so it stands at one place in the parameters.
MARKERS: dict[type, Callable[[], Any]] = {
    int: lambda: -(2**62) + uuid.uuid4().int % 10**12,
    str: lambda: f"marker-{uuid.uuid4().hex}",
    uuid.UUID: uuid.uuid4,
}

# Of a user, what SCIM shows and the services read (not the password, login or staff columns).
USER_COLUMNS = (
    *USER.columns(),
    "public_id",
    "tenant",
    "manager",
    "role",
    "custom_role",
    "version",
    "created_at",
    "modified_at",
)


class PreparedLookup:
    """`build(**markers)` compiled once; calling it runs that SQL for other values."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        markers = {name: MARKERS[kind]() for name, kind in kinds.items()}
        queryset = build(**markers)
        self.manager = queryset.model._default_manager
        self.db = queryset.db
        captured: list[tuple[str, list, list[str]]] = []

        def capture(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            columns = [column[0] for column in context["cursor"].description or ()]
            captured.append((sql, list(params or ()), columns))
            return result

        # A locking queryset runs only inside a transaction; it finds no row either way.
        with transaction.atomic(using=self.db), connections[self.db].execute_wrapper(capture):
            list(queryset)
        (self.sql, self.params, columns), *others = captured
        if others:
            raise ValueError("A prepared lookup is one query.")
        self.slots = {name: _slot(self.params, marker) for name, marker in markers.items()}
        self.rows = (
            RowLoader(queryset.model, columns, self.db)
            if connections[self.db].vendor == "postgresql"
            else None
        )

    def __call__(self, **values) -> list[Any]:
        params = list(self.params)
        for name, (position, convert) in self.slots.items():
            params[position] = convert(values[name])
        if self.rows is None:
            return list(self.manager.raw(self.sql, params).using(self.db))
        with connections[self.db].cursor() as cursor:
            cursor.execute(self.sql, params)
            return [self.rows.load(row) for row in cursor.fetchall()]


class RowLoader:
    """Model instances from a prepared query's rows, as raw() builds them, with the columns'
    meaning worked out once instead of on every query (a fifth of a PATCH's CPU).

    For PostgreSQL, where a field's own `from_db_value` is the only conversion Django applies;
    other databases go through raw()."""

    def __init__(self, model: type[Model], columns: list[str], db: str):
        fields = {field.column: field for field in model._meta.get_fields() if field.concrete}
        self.model, self.db, self.connection = model, db, connections[db]
        self.fields = [(i, fields[name]) for i, name in enumerate(columns) if name in fields]
        self.field_names = [field.attname for _, field in self.fields]
        self.annotations = [(i, name) for i, name in enumerate(columns) if name not in fields]

    def load(self, row: tuple) -> Model:
        values = [self._converted(row[i], field) for i, field in self.fields]
        instance = self.model.from_db(self.db, self.field_names, values)
        for i, name in self.annotations:
            setattr(instance, name, row[i])
        return instance

    def _converted(self, value: Any, field: Any) -> Any:
        convert = getattr(field, "from_db_value", None)
        if convert is None or value is None:
            return value
        return convert(value, field, self.connection)


def _slot(params: list, marker: Any) -> tuple[int, Callable[[Any], Any]]:
    """Where `marker` stands in the parameters, and how a value is sent in its place (a UUID
    goes to PostgreSQL as itself, to SQLite as its hex)."""
    sent_as = [(marker, _as_is)]
    if isinstance(marker, uuid.UUID):
        sent_as.append((marker.hex, _hex))
    found = [
        (i, convert) for i, param in enumerate(params) for sent, convert in sent_as if param == sent
    ]
    if len(found) != 1:
        raise ValueError(f"{marker!r} is not one parameter of the prepared query.")
    return found[0]


def _as_is(value: Any) -> Any:
    return value


def _hex(value: uuid.UUID) -> str:
    return value.hex


def _scim_users(tenant: Any) -> QuerySet:
    return User.objects.for_scim(tenant, fields=USER_COLUMNS, related_as_columns=True)


_prepared: dict[tuple, PreparedLookup] = {}
# Each (start, count) is a shape of its own (LIMIT and OFFSET are in the SQL), so a
# process keeps at most this many, the oldest going first.
MAX_SHAPES = 256
PUBLIC_ID = User._meta.get_field("public_id")


def _lookup(key: tuple, build: Callable[..., QuerySet], **kinds: type) -> PreparedLookup:
    full_key = (connections["default"].vendor, *key)
    lookup = _prepared.get(full_key)
    if lookup is None:
        if len(_prepared) >= MAX_SHAPES:
            del _prepared[next(iter(_prepared))]
        lookup = _prepared[full_key] = PreparedLookup(build, **kinds)
    return lookup


def users_named(tenant: Any, user_name: str, *, start: int, count: int) -> list[User]:
    """A page of the tenant's users whose userName is `user_name` (any case), as
    `filter=userName eq "…"` gives them: at most one, since the name is unique."""
    lookup = _lookup(
        ("userName eq", start, count),
        lambda tenant, user_name: _scim_users(tenant).filter(
            user_name__lower=Lower(Value(user_name))
        )[start - 1 : start - 1 + count],
        tenant=int,
        user_name=str,
    )
    users = lookup(tenant=tenant.pk, user_name=lookup_form(user_name))
    return [_with_related(user, lookup.db) for user in users]


def user_by_id(tenant: Any, public_id: uuid.UUID, *, lock: bool) -> User:
    """The tenant's user with this public id, else 404; `lock` holds its row."""

    def build(tenant, public_id):
        users = _scim_users(tenant).filter(public_id=public_id)
        return (users.select_for_update(of=("self",)) if lock else users)[:1]

    lookup = _lookup(("user by id", lock), build, tenant=int, public_id=uuid.UUID)
    rows = lookup(tenant=tenant.pk, public_id=public_id)
    if not rows:
        raise not_found(User)
    return _with_related(rows[0], lookup.db)


def groups_named(
    tenant: Any, display_name: str, *, start: int, count: int, members: bool
) -> list[Group]:
    """A page of the tenant's groups whose displayName is `display_name` (any case), as
    `filter=displayName eq "…"` gives them: at most one, since the name is unique."""
    lookup = _lookup(
        ("displayName eq", start, count),
        lambda tenant, name: Group.objects.for_scim(tenant, members=False).filter(
            display_name__lower=Lower(Value(name))
        )[start - 1 : start - 1 + count],
        tenant=int,
        name=str,
    )
    return _with_members(lookup(tenant=tenant.pk, name=display_name), members)


def group_by_id(tenant: Any, public_id: uuid.UUID, *, lock: bool, members: bool) -> Group:
    """The tenant's group with this public id, else 404; `members` loads them, `lock` holds
    its row."""

    def build(tenant, public_id):
        groups = Group.objects.for_scim(tenant, members=False).filter(public_id=public_id)
        return (groups.select_for_update() if lock else groups)[:1]

    lookup = _lookup(("group by id", lock), build, tenant=int, public_id=uuid.UUID)
    rows = _with_members(lookup(tenant=tenant.pk, public_id=public_id), members)
    if not rows:
        raise not_found(Group)
    return rows[0]


def _with_members(groups: list[Group], members: bool) -> list[Group]:
    if members and groups:
        prefetch_related_objects(groups, Group.objects.members_prefetch())
    return groups


def _with_related(user: User, db: str) -> User:
    """The manager and custom role from the row's own columns, as select_related gives them
    (raw() passes a column that is no model field through as the database sent it)."""
    values: Any = user
    if user.manager_id is not None:
        user.manager = User.from_db(
            db,
            ["id", "public_id", "user_name", "display_name"],
            [
                user.manager_id,
                PUBLIC_ID.to_python(values.manager_public_id),
                values.manager_user_name,
                values.manager_display_name,
            ],
        )
    if user.custom_role_id is not None:
        user.custom_role = Role.from_db(
            db,
            ["id", "tenant_id", "name", "builtin"],
            [user.custom_role_id, user.tenant_id, values.custom_role_name, ""],
        )
    return user
