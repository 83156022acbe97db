from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Concat, Lower
from django.utils.crypto import salted_hmac

from apps.audit.models import Channel
from apps.roles.models import BuiltinRole
from apps.tenants import counting
from apps.tenants.scoping import TenantOwnedQuerySet


def can_sign_in_q() -> Q:
    """Users who can sign in today: active, with a usable password or signed in by their
    account's single sign-on.

    Single sign-on signs in an admin only while the account lets Entra ID grant the admin
    role (apps.sso.services refuses the others), so an admin without a password counts only
    then. The one definition of "can sign in", as a filter; User.can_sign_in is the same
    test on one row. The SSO settings are reached by the reverse relation's name, since
    the sso app sits above users.
    """
    has_password = ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) & ~Q(password="")
    sso_may_sign_in = ~Q(role=BuiltinRole.ADMIN) | Q(
        tenant__scim_admin_grants_enabled_at__isnull=False
    )
    has_sso = Q(tenant__sso_settings__enabled_at__isnull=False) & sso_may_sign_in
    return Q(is_active=True) & (has_password | has_sso)


# A user's searchable text, one line per attribute: the users search matches a substring of
# it, and PostgreSQL's trigram index of migration 0012 is on UPPER() of exactly this. A line
# break cannot be typed into the search box, so no match spans two attributes.
SEARCH_TEXT = Concat(
    "user_name",
    models.Value("\n"),
    "given_name",
    models.Value("\n"),
    "family_name",
    models.Value("\n"),
    "display_name",
    models.Value("\n"),
    "external_id",
    output_field=models.TextField(),
)

# Never signed in sorts as the oldest sign-in, the same in PostgreSQL and SQLite (which put
# NULLs at opposite ends), with no NULLS FIRST/LAST that SQLite's indexes refuse.
LAST_SIGN_IN = Coalesce("last_login", models.Value(datetime(1970, 1, 1, tzinfo=UTC)))


def list_orderings(key: str) -> tuple[models.OrderBy, ...]:
    """The user list's sort orders, each a total order (the same page every time) and each
    the exact reverse of its pair, so one index serves both directions (Meta.indexes)."""
    name, user_id, role, source = (
        Lower("user_name"),
        models.F("id"),
        models.F("role"),
        models.F("source"),
    )
    last_sign_in = LAST_SIGN_IN
    return {
        "name": (name.asc(), user_id.asc()),
        "-name": (name.desc(), user_id.desc()),
        "role": (role.asc(), name.asc()),
        "-role": (role.desc(), name.desc()),
        "source": (source.asc(), name.asc()),
        "-source": (source.desc(), name.desc()),
        # Never signed in, then the oldest sign-in first: who may no longer need access.
        "last_sign_in": (last_sign_in.asc(), user_id.asc()),
        "-last_sign_in": (last_sign_in.desc(), user_id.desc()),
    }[key]


class UserQuerySet(TenantOwnedQuerySet["User"]):
    def agents(self):
        """Users who may be group members: agents, admins and holders of a custom role."""
        return self.filter(
            Q(role__in=[BuiltinRole.AGENT, BuiltinRole.ADMIN]) | Q(custom_role__isnull=False)
        )

    def count_for(self, tenant) -> int:
        """The tenant's number of users, exact, from the counters (no COUNT over the table)."""
        return UserCount.objects.total_for(tenant)

    def for_scim(self, tenant, *, fields: Iterable[str], related_as_columns: bool = False):
        """The tenant's users as SCIM shows them, in id order, in one query: only `fields`,
        manager and custom role joined, emails and phone numbers as JSON columns.

        `related_as_columns` gives the manager's and custom role's columns as the user's own
        (manager_public_id, custom_role_name, ...) instead of related objects, for SQL run
        with raw() (apps.scim.prepared_lookups)."""
        users = self.for_tenant(tenant)
        if related_as_columns:
            users = users.only(*fields).annotate(
                **{name: models.F(path) for name, path in RELATED_COLUMNS.items()}
            )
        else:
            users = users.select_related("manager", "custom_role").only(*fields)
        return users.annotate(
            **{
                field + CONTACT_JSON_SUFFIX: ContactRowsJSON(model)
                for field, model in CONTACT_MODELS.items()
            }
        ).order_by("pk")

    def sorted_for_list(self, key: str):
        """In the order the user list's `sort` names (list_orderings)."""
        return self.order_by(*list_orderings(key))

    def active_admins(self):
        return self.filter(role=BuiltinRole.ADMIN, is_active=True)

    def can_sign_in(self):
        return self.filter(can_sign_in_q())

    def search(self, query: str, *, tenant):
        """Case-insensitive match on userName, names, externalId or any of the tenant's emails."""
        return self.search_with_size(query, tenant=tenant)[0]

    def search_with_size(self, query: str, *, tenant):
        """search(), and whether more than COUNT_BOUND users match (then they are not counted).

        On PostgreSQL both halves read a trigram index (migration 0012). When few users match
        (COUNT_BOUND or fewer on each half), their ids are found first and the page is read
        by id; when many match, the list is read in its own order and the first page fills
        after a few rows, where a search of ids would have to collect them all.
        """
        by_fields = self.alias(search_text=SEARCH_TEXT).filter(search_text__icontains=query)
        by_email = UserEmail.objects.filter(tenant=tenant, value__icontains=query)
        bound = counting.COUNT_BOUND
        field_ids = list(by_fields.order_by().values_list("pk", flat=True)[: bound + 1])
        email_ids = list(by_email.order_by().values_list("user_id", flat=True)[: bound + 1])
        if len(field_ids) <= bound and len(email_ids) <= bound:
            return self._by_ids({*field_ids, *email_ids}), False
        matches = self.alias(search_text=SEARCH_TEXT)
        if len(email_ids) <= bound:
            # The few users an email matches, by id: cheaper than a subquery for every row.
            by_email_q = Q(pk__in=email_ids)
        else:
            # A subquery per row, not Exists: PostgreSQL would hash every matching email
            # first. It runs only for rows whose own attributes do not match.
            first_email = by_email.filter(user=models.OuterRef("pk")).values("pk")[:1]
            matches = matches.alias(email_match=models.Subquery(first_email))
            by_email_q = Q(email_match__isnull=False)
        return matches.filter(Q(search_text__icontains=query) | by_email_q), True

    def _by_ids(self, ids: set[int]):
        """The users of this queryset among `ids`, as a queryset of ids alone.

        The ids are checked against this queryset (the tenant and every filter) first; the
        result then names no tenant, so PostgreSQL fetches the few ids and sorts them,
        rather than read the tenant's name index in order hoping to meet them early (a
        search whose matches all sort late read most of the directory that way).
        """
        matched = list(self.filter(pk__in=ids).values_list("pk", flat=True)) if ids else []
        return self.model.objects.filter(pk__in=matched)


_UserManagerBase = BaseUserManager.from_queryset(UserQuerySet)


class UserManager(_UserManagerBase):  # type: ignore[valid-type,misc]
    use_in_migrations = True

    def create_user(self, user_name, password=None, **fields):
        user = self.model(user_name=user_name, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, user_name, password=None, **fields):
        """Platform staff: no tenant, Django admin access."""
        fields.update(is_staff=True, is_superuser=True, tenant=None, source=Channel.COMMAND)
        return self.create_user(user_name, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A tenant's user (tenant set) or a platform staff account (no tenant)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # Not indexed alone: every tenant-scoped index below leads with the tenant.
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
        db_index=False,
    )
    user_name = models.CharField("username", max_length=255)
    external_id = models.CharField("external ID", max_length=255, blank=True)
    is_active = models.BooleanField("active", default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Platform support staff who may use Django admin."
    )

    display_name = models.CharField(max_length=255, blank=True)
    nick_name = models.CharField(max_length=255, blank=True)
    name_formatted = models.CharField(max_length=500, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    middle_name = models.CharField(max_length=255, blank=True)
    honorific_prefix = models.CharField(max_length=50, blank=True)
    honorific_suffix = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=255, blank=True)
    user_type = models.CharField(max_length=100, blank=True)
    preferred_language = models.CharField(max_length=50, blank=True)
    locale = models.CharField(max_length=50, blank=True)
    timezone = models.CharField(max_length=100, blank=True)
    profile_url = models.CharField(max_length=500, blank=True)
    # SCIM addresses, stored as sent: [{"type", "primary", "formatted", "streetAddress", ...}].
    addresses = models.JSONField(default=list, blank=True)

    # Enterprise extension.
    employee_number = models.CharField(max_length=100, blank=True)
    cost_center = models.CharField(max_length=255, blank=True)
    organization = models.CharField(max_length=255, blank=True)
    division = models.CharField(max_length=255, blank=True)
    department = models.CharField(max_length=255, blank=True)
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        db_index=False,  # a partial index in Meta
    )

    role = models.CharField(
        max_length=20, choices=BuiltinRole.choices, default=BuiltinRole.END_USER
    )
    custom_role = models.ForeignKey(
        "roles.Role",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holders",
        db_index=False,  # a partial index in Meta
    )
    # The custom role the user's groups give (the first linked group in the admin's order),
    # and that group; stored by apps.roles.services whenever a link or a membership changes.
    # A direct custom_role wins over it (effective_custom_role). SCIM never shows it.
    group_role = models.ForeignKey(
        "roles.Role",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_role_holders",
        db_index=False,  # a partial index in Meta
        editable=False,
    )
    group_role_group = models.ForeignKey(
        "groups.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index in Meta
        editable=False,
    )

    # The channel that created the user.
    source = models.CharField(max_length=20, choices=Channel.choices, default=Channel.UI)
    version = models.PositiveIntegerField(default=1)
    # Every session started before this moment is refused (see _get_session_auth_hash).
    sessions_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "user_name"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "public_id"], name="user_public_id_unique_per_tenant"
            ),
            models.UniqueConstraint(
                "tenant",
                Lower("user_name"),
                name="user_name_unique_per_tenant_ci",
                violation_error_message="A user with this userName already exists in this account.",
            ),
            models.UniqueConstraint(
                Lower("user_name"),
                condition=Q(tenant__isnull=True),
                name="staff_user_name_unique_ci",
                violation_error_message="A staff account with this userName already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "external_id"], name="user_tenant_external_id"),
            # The user list sorted by role (names A to Z within each) reads this in order,
            # forwards or backwards; it also serves every filter on role.
            models.Index("tenant", "role", Lower("user_name"), name="user_tenant_role_name"),
            # The user list sorted by last sign-in, read forwards (never signed in, then the
            # oldest first) or backwards (newest first). The same expression as the ordering.
            models.Index("tenant", LAST_SIGN_IN, "id", name="user_tenant_last_sign_in"),
            # The user list sorted by source, either way (it was a sort of every user).
            models.Index("tenant", "source", Lower("user_name"), name="user_tenant_source_name"),
            # The list of deactivated users, in name order: an entry only for those few.
            models.Index(
                "tenant",
                Lower("user_name"),
                condition=Q(is_active=False),
                name="user_tenant_inactive_name",
            ),
            # Most users have no manager and no custom role: an index of only those who do
            # is all a lookup by either needs, and a create or an update of anyone else
            # writes no entry.
            models.Index(
                fields=["manager"], condition=Q(manager__isnull=False), name="user_manager"
            ),
            models.Index(
                fields=["custom_role"],
                condition=Q(custom_role__isnull=False),
                name="user_custom_role",
            ),
            models.Index(
                fields=["group_role"],
                condition=Q(group_role__isnull=False),
                name="user_group_role",
            ),
            models.Index(
                fields=["group_role_group"],
                condition=Q(group_role_group__isnull=False),
                name="user_group_role_group",
            ),
        ]

    def __str__(self):
        return self.user_name

    def get_session_auth_hash(self) -> str:
        """Django's HMAC of the password, with the moment this user's sessions were revoked.

        django.contrib.auth.get_user() compares it with the hash stored in the session at
        sign-in and flushes the session when they differ, so a session started before the
        last revocation never works again, even once the user is reactivated.
        """
        if self.sessions_revoked_at is None:
            # Unchanged for users never revoked: sessions from before this field survive.
            return super().get_session_auth_hash()
        return self._revocable_session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        """The same hash under each of SECRET_KEY_FALLBACKS (a key rotation in progress)."""
        if self.sessions_revoked_at is None:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._revocable_session_hash(secret=secret)

    def _revocable_session_hash(self, *, secret: str | bytes | None) -> str:
        assert self.sessions_revoked_at is not None
        return salted_hmac(
            "apps.users.models.User.get_session_auth_hash",
            f"{self.password}\n{self.sessions_revoked_at.isoformat()}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_agent(self) -> bool:
        return (
            self.role in (BuiltinRole.AGENT, BuiltinRole.ADMIN) or self.custom_role_id is not None
        )

    @property
    def effective_custom_role(self):
        """The custom role the user holds: one assigned directly wins over their groups'."""
        return self.custom_role if self.custom_role_id is not None else self.group_role

    @property
    def effective_role_source(self) -> str:
        """Where the effective custom role comes from, said plainly ("" when none)."""
        if self.custom_role_id is not None:
            return "assigned directly"
        if self.group_role_id is not None and self.group_role_group is not None:
            return f"from the group {self.group_role_group.display_name}"
        return ""

    @property
    def is_tenant_admin(self) -> bool:
        return self.tenant_id is not None and self.is_active and self.role == BuiltinRole.ADMIN

    @property
    def can_sign_in(self) -> bool:
        """Same test as UserQuerySet.can_sign_in(), on this row."""
        if not self.is_active:
            return False
        if self.password and self.has_usable_password():
            return True
        if self.role == BuiltinRole.ADMIN and not (
            self.tenant and self.tenant.scim_may_grant_admin
        ):
            return False
        sso_settings = getattr(self.tenant, "sso_settings", None) if self.tenant_id else None
        return sso_settings is not None and sso_settings.enabled_at is not None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    def contacts(self, field: str) -> list[tuple[str, str, bool, str]]:
        """The user's `field` ("emails" or "phone_numbers") as (value, type, primary, display):
        the rows a service just wrote, else the JSON column of for_scim(), else one query."""
        written = getattr(self, WRITTEN_PREFIX + field, None)
        if written is not None:
            return [(row.value, row.type, row.primary, row.display) for row in written]
        raw = getattr(self, field + CONTACT_JSON_SUFFIX, None)
        if raw is not None:
            # PostgreSQL's json arrives decoded, SQLite's as text.
            items = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
            return [
                (value, kind, bool(is_primary), text) for value, kind, is_primary, text in items
            ]
        rows = getattr(self, field).all()
        return [(row.value, row.type, row.primary, row.display) for row in rows]

    @property
    def primary_email(self) -> str:
        emails = list(self.emails.all())
        primary = next((e for e in emails if e.primary), emails[0] if emails else None)
        return primary.value if primary else ""


class MultiValuedAttribute(models.Model):
    """A row of a multi-valued SCIM attribute (an email, a phone number) of one user."""

    KEYS = ("value", "type", "primary", "display")

    # The user's tenant, so the table can be distributed by tenant with the users.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    value: models.CharField[str, str]
    type = models.CharField(max_length=50, blank=True)
    primary = models.BooleanField(default=False)
    display = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.value

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.KEYS}


class UserEmail(MultiValuedAttribute):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="emails")
    value = models.CharField(max_length=320)

    class Meta(MultiValuedAttribute.Meta):
        indexes = [models.Index("tenant", Lower("value"), name="user_email_tenant_value_ci")]


class UserPhoneNumber(MultiValuedAttribute):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_numbers")
    value = models.CharField(max_length=100)


class TenantCountQuerySet(models.QuerySet):
    def total_for(self, tenant) -> int:
        tenant_id = getattr(tenant, "pk", tenant)
        return self.filter(tenant_id=tenant_id).aggregate(total=models.Sum("count"))["total"] or 0


class UserCount(models.Model):
    """The tenant's number of users, in a few shards; database triggers keep it exact.

    The triggers (migration 0008) add and subtract on every insert and delete of users_user,
    whatever the path (services, bulk seeding, cascades), in the same transaction; the shard
    is the user id modulo 16, so concurrent creates rarely wait on the same row. SCIM reads it
    for totalResults instead of counting the tenant's rows.
    """

    SHARDS = 16

    # No database constraint: a deleted tenant's users are deleted after its counters, and
    # the trigger must not then trip over the missing tenant.
    # Not indexed alone: the (tenant, shard) unique constraint leads with it.
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    shard = models.PositiveSmallIntegerField()
    count = models.BigIntegerField(default=0)

    objects = TenantCountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shard"], name="user_count_tenant_shard")
        ]

    def __str__(self):
        return f"{self.tenant_id}/{self.shard}: {self.count}"


# The contact rows of a user, by the name of their reverse relation.
CONTACT_MODELS: dict[str, type[UserEmail] | type[UserPhoneNumber]] = {
    "emails": UserEmail,
    "phone_numbers": UserPhoneNumber,
}
# for_scim() annotates "emails_json"; a service that wrote rows keeps them on "written_emails".
CONTACT_JSON_SUFFIX = "_json"
# What SCIM shows of a user's manager and custom role, as columns of the user's row.
RELATED_COLUMNS = {
    "manager_public_id": "manager__public_id",
    "manager_user_name": "manager__user_name",
    "manager_display_name": "manager__display_name",
    "custom_role_name": "custom_role__name",
}
WRITTEN_PREFIX = "written_"


class ContactRowsJSON(models.Func):
    """A user's rows of `model` as one JSON column, [[value, type, primary, display], ...]:
    a page of users with their emails in one query, with no model instance per email."""

    output_field = models.TextField()

    def __init__(self, model: type[MultiValuedAttribute]):
        self.table = model._meta.db_table
        super().__init__(models.F("pk"))

    def _rows(self, compiler, connection, aggregate: str, **extra_context):
        # Only the model's own table name goes into the text; the user's id is the expression.
        table = connection.ops.quote_name(self.table)
        template = f"(SELECT {aggregate} FROM {table} r WHERE r.user_id = %(expressions)s)"  # noqa: S608
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        aggregate = (
            'COALESCE(json_agg(json_build_array(r.value, r.type, r."primary", r.display) '
            "ORDER BY r.id), '[]')"
        )
        return self._rows(compiler, connection, aggregate, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        aggregate = 'json_group_array(json_array(r.value, r.type, r."primary", r.display))'
        return self._rows(compiler, connection, aggregate, **extra_context)
