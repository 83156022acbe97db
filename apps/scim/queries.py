"""SCIM's hottest lookups, compiled to SQL once per process instead of on every request.

Django builds a queryset's SQL afresh each time it is evaluated; for the user lookups Entra
sends on every sync (a userName filter, a user by id before each PATCH) that compilation costs
more than the database does. A `CompiledQuery` is the queryset the view would have built,
built once with placeholder values and compiled; each run puts the request's values where the
placeholders were and turns the rows into model instances as Django's own iterator does, so
the SQL, the tenant scoping and the objects are those of the queryset itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators, prefetch_related_objects

from apps.tenants.scoping import TenantOwnedQuerySet, not_found

# Values no request sends, so each is found at exactly one place in the compiled parameters.
PLACEHOLDERS: dict[type, Callable[[], Any]] = {
    int: lambda: -(2**62) + uuid.uuid4().int % 10**12,
    str: lambda: f"placeholder-{uuid.uuid4().hex}",
    uuid.UUID: uuid.uuid4,
}


def _as_is(value):
    return value


def _hex(value: uuid.UUID) -> str:
    return value.hex


class CompiledQuery:
    """`build(**values)` compiled once; calling it runs that queryset for other values."""

    def __init__(self, build: Callable[..., QuerySet], **types: type):
        placeholders = {name: PLACEHOLDERS[kind]() for name, kind in types.items()}
        queryset = build(**placeholders)
        self.db = queryset.db
        self.model = queryset.model
        self.compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.slots = {}
        for name, placeholder in placeholders.items():
            # A UUID goes to the database as itself (PostgreSQL) or as its hex (SQLite).
            sent_as = [(placeholder, _as_is)]
            if isinstance(placeholder, uuid.UUID):
                sent_as.append((placeholder.hex, _hex))
            slots = [
                (i, convert)
                for i, param in enumerate(self.params)
                for sent, convert in sent_as
                if param == sent
            ]
            if len(slots) != 1:
                raise ValueError(f"{name} is not one parameter of the compiled query.")
            self.slots[name] = slots[0]
        select, klass_info = self.compiler.select, self.compiler.klass_info
        fields = klass_info["select_fields"]
        self.model_columns = slice(fields[0], fields[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.model_columns]]
        # django-stubs describes Django 6's signature (with fetch_mode); this is Django 5.2's.
        self.related_populators = get_related_populators(klass_info, select, self.db)  # type: ignore[call-arg]
        self.annotation_col_map = self.compiler.annotation_col_map
        self.prefetches = queryset._prefetch_related_lookups  # type: ignore[attr-defined]

    def __call__(self, **values) -> list:
        params = self.params.copy()
        for name, (slot, convert) in self.slots.items():
            params[slot] = convert(values[name])
        with connections[self.db].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        objects = []
        for row in self.compiler.results_iter(results=[rows]):
            obj = self.model.from_db(self.db, self.init_list, row[self.model_columns])
            for populator in self.related_populators:
                populator.populate(row, obj)
            for name, position in self.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        if self.prefetches and objects:
            prefetch_related_objects(objects, *self.prefetches)
        return objects


_compiled: dict[tuple, CompiledQuery] = {}


def compiled(key: tuple, build: Callable[..., QuerySet], **types: type) -> CompiledQuery:
    """The CompiledQuery of `build` for this process, database and `key` (its shape)."""
    full_key = (connections["default"].vendor, *key)
    query = _compiled.get(full_key)
    if query is None:
        query = _compiled[full_key] = CompiledQuery(build, **types)
    return query


def get_by_public_id(
    key: tuple, unscoped: Callable[[], TenantOwnedQuerySet], tenant, public_id: uuid.UUID
):
    """The tenant's row of `unscoped()` with this public id, else 404, as the scoping layer's
    get_for answers; compiled once per `key`, the shape of `unscoped` (joins, prefetches,
    lock). The tenant scope is added here, so no caller can leave it out."""
    query = compiled(
        ("by public id", *key),
        lambda tenant, public_id: unscoped().for_tenant(tenant).filter(public_id=public_id)[:1],
        tenant=int,
        public_id=uuid.UUID,
    )
    rows = query(tenant=tenant.pk, public_id=public_id)
    if not rows:
        raise not_found(query.model)
    return rows[0]
