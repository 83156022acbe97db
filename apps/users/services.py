"""Every change to a tenant's users goes through here, whatever the channel."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from apps.audit.models import AuditAction, Channel
from apps.audit.services import build_event, channel_of, diff, record_event, record_events
from apps.roles.models import BuiltinRole, Role
from apps.roles.services import resolve_role_assignment
from apps.tenants.prepared_writes import insert_new, is_prepared
from apps.tenants.scoping import save_with_version
from apps.tenants.transactions import atomic_service
from apps.users.backends import sign_in_key
from apps.users.models import (
    WRITTEN_PREFIX,
    MultiValuedAttribute,
    User,
    UserEmail,
    UserPhoneNumber,
    UserQuerySet,
)
from apps.users.names import checked_name, lookup_form

if TYPE_CHECKING:
    from django.contrib.auth.models import Group as PermissionGroup
    from typing_extensions import Unpack

    from apps.audit.models import AuditEvent
    from apps.audit.services import Actor, EventFields
    from apps.tenants.models import Tenant

# Plain columns a caller may set; emails, phone_numbers, manager, role and
# custom_role are handled on their own. The admin shows them in these groups.
PROFILE_FIELDS = (
    "display_name",
    "nick_name",
    "name_formatted",
    "given_name",
    "family_name",
    "middle_name",
    "honorific_prefix",
    "honorific_suffix",
    "title",
    "user_type",
    "preferred_language",
    "locale",
    "timezone",
    "profile_url",
    "addresses",
)
ENTERPRISE_FIELDS = (
    "employee_number",
    "cost_center",
    "organization",
    "division",
    "department",
)
SCALAR_FIELDS = ("user_name", "external_id", "is_active", *PROFILE_FIELDS, *ENTERPRISE_FIELDS)
MULTI_VALUED: dict[str, type[UserEmail] | type[UserPhoneNumber]] = {
    "emails": UserEmail,
    "phone_numbers": UserPhoneNumber,
}
# A person has a handful of addresses and numbers; thousands in one request are a client bug
# or an attack that would write a row each.
MAX_MULTI_VALUES = 50
ALL_FIELDS = (*SCALAR_FIELDS, *MULTI_VALUED, "manager", "role", "custom_role")
# What single sign-on finds a person by (SsoSettings.match_by), with its SCIM name.
IDENTITY_FIELDS = {"user_name": "userName", "emails": "emails", "external_id": "externalId"}
AGENT_ROLES = (BuiltinRole.AGENT, BuiltinRole.ADMIN)


def get_user_for(
    tenant: Tenant, user_id: UUID | str, *, queryset: UserQuerySet | None = None
) -> User:
    """The tenant's user with this public id, else 404; `queryset` adds joins or locks."""
    return (User.objects.all() if queryset is None else queryset).get_for(tenant, user_id)


def find_users(
    tenant: Tenant, user_ids: Iterable[UUID | str], *, only: tuple[str, ...] = ()
) -> list[User]:
    """The tenant's users among these public ids (UUIDs); other ids are left out. `only`
    loads just those fields (a user row has about forty)."""
    users = User.objects.for_tenant(tenant).filter(public_id__in=list(user_ids))
    return list(users.only(*only) if only else users)


def find_user_by_name(tenant: Tenant, user_name: str) -> User | None:
    """Case-insensitive userName lookup that uses the (tenant, lower(user_name)) index.

    The name is looked up in the form names are stored in (NFKC), so "ａｄｍｉｎ" finds "admin".
    """
    user_name = lookup_form(user_name)
    return User.objects.for_tenant(tenant).filter(user_name__lower=Lower(Value(user_name))).first()


def _snapshot(user: User) -> dict[str, Any]:
    state = {field: getattr(user, field) for field in SCALAR_FIELDS}
    state["manager"] = user.manager.user_name if user.manager else None
    state["role"] = user.role
    state["custom_role"] = user.custom_role.name if user.custom_role else None
    if user.pk:
        for field in MULTI_VALUED:
            state[field] = _multi_values(user.contacts(field))
    return state


def _multi_values(rows: Iterable[tuple]) -> list[dict[str, Any]]:
    # User.contacts() rows: those of the user's SCIM query or of the last change, no query.
    return [dict(zip(MultiValuedAttribute.KEYS, row, strict=True)) for row in rows]


def _normalise_multi(items: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    normalised = []
    for item in items or []:
        value = str(item.get("value") or "").strip()
        if not value:
            continue
        normalised.append(
            {
                "value": value,
                "type": str(item.get("type") or ""),
                "primary": bool(item.get("primary")),
                "display": str(item.get("display") or ""),
            }
        )
    return normalised


def _checked_user_name(user_name: str) -> str:
    user_name = checked_name(user_name or "", label="userName")
    if not user_name:
        raise ValidationError("userName is required.", code="required")
    if len(user_name) > 255:
        raise ValidationError("userName is longer than 255 characters.", code="invalid")
    return user_name


def _checked_emails(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The emails with their values in lookup form: single sign-on may match a user by one."""
    return [
        {**item, "value": checked_name(str(item.get("value") or ""), label="email")}
        for item in items or []
    ]


def _check_user_name(tenant: Tenant, user_name: str, exclude: User | None = None) -> str:
    user_name = _checked_user_name(user_name)
    # Only the id and the stored spelling: every create asks, and a whole row costs more.
    clash = (
        User.objects.for_tenant(tenant)
        .filter(user_name__lower=Lower(Value(user_name)))
        .order_by()
        .values_list("pk", "user_name")[:1]
    )
    for pk, taken in clash:
        if exclude is None or pk != exclude.pk:
            raise ValidationError(
                f'A user with userName "{taken}" already exists in this account.', code="unique"
            )
    return user_name


def _resolve_roles(user: User, attributes: dict[str, Any]) -> tuple[str, Role | None]:
    held = (user.role, user.custom_role if user.custom_role_id else None)
    changes: dict[str, Any] = {k: attributes[k] for k in ("role", "custom_role") if k in attributes}
    return resolve_role_assignment(tenant_id=user.tenant_id, held=held, changes=changes)


def _check_group_rule(user: User, role: str, custom_role: Role | None) -> None:
    if role in AGENT_ROLES or custom_role is not None or not user.pk:
        return
    # Lock the user's row first: add_group_members locks it too, so a membership added
    # while this demotion runs is either seen here or refused there.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    groups = list(user.memberships.values_list("group__display_name", flat=True)[:5])
    if groups:
        raise ValidationError(
            f"{user.user_name} is a member of {', '.join(groups)}; only agents can be group "
            "members. Remove them from their groups before making them an end-user.",
            code="invalid",
        )


def _check_last_admin(user: User, *, role: str, is_active: bool, deleting: bool = False) -> None:
    """Refuse to demote, deactivate or delete the last admin who can sign in to the account.

    Only admins who can sign in count (User.can_sign_in): an admin that SCIM created has
    no password, and counting it would let an API token lock every person out; it counts
    while the account's single sign-on is on and lets Entra ID grant the admin role, since
    only then does Entra sign that admin in.
    """
    was_admin = user.pk and user.role == BuiltinRole.ADMIN
    stays_admin = not deleting and role == BuiltinRole.ADMIN and is_active
    if not was_admin or stays_admin:
        return
    # Lock the tenant's admins so that two concurrent demotions cannot both pass; whether
    # this user is one of them is read from the database too, not from the edited instance.
    admins = set(
        User.objects.for_tenant(user.tenant_id)
        .active_admins()
        .can_sign_in()
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    if user.pk in admins and admins <= {user.pk}:
        verb = "deleted" if deleting else "demoted or deactivated"
        raise ValidationError(
            f"{user.user_name} is the last active admin who can sign in to this account, "
            f"so they cannot be {verb}: nobody could open its settings any more. "
            "First make another user who can sign in an admin.",
            code="invalid",
        )


def _check_admin_grant(tenant: Tenant, actor: Actor, user: User, role: str) -> None:
    """SCIM makes someone an admin only where the account allows it (off by default)."""
    becomes_admin = role == BuiltinRole.ADMIN and not (user.pk and user.role == BuiltinRole.ADMIN)
    if becomes_admin and channel_of(actor) == Channel.SCIM and not tenant.scim_may_grant_admin:
        raise ValidationError(
            f"Microsoft Entra ID (SCIM) may not make {user.user_name} an admin: this account "
            "does not let provisioning grant the admin role. An admin can allow it in "
            "Settings → API → Provisioning, or give the role in Settings → Users.",
            code="invalid",
        )


def _identity_changes(user: User, attributes: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [now, asked]} for the attributes single sign-on matches on that would change."""
    changes: dict[str, list[Any]] = {}
    if "user_name" in attributes and attributes["user_name"] != lookup_form(user.user_name):
        changes["user_name"] = [user.user_name, attributes["user_name"]]
    if "external_id" in attributes:
        external_id = "" if attributes["external_id"] is None else str(attributes["external_id"])
        if external_id != user.external_id:
            changes["external_id"] = [user.external_id, external_id]
    if "emails" in attributes:
        emails = sorted(item["value"] for item in _normalise_multi(attributes["emails"]))
        held = sorted(lookup_form(value) for value, *_ in user.contacts("emails"))
        if emails != held:
            changes["emails"] = [held, emails]
    return changes


def _check_identity_of_admin(
    tenant: Tenant, actor: Actor, user: User, role: str, attributes: dict[str, Any]
) -> None:
    """SCIM changes what single sign-on finds an admin by only where Entra may grant the role.

    Otherwise a token could give an admin the userName (or email, or objectId) of anyone
    Entra signs in, and hand them the admin role that it may not grant directly.
    """
    is_admin = role == BuiltinRole.ADMIN or user.role == BuiltinRole.ADMIN
    if not user.pk or not is_admin or tenant.scim_may_grant_admin:
        return
    if channel_of(actor) != Channel.SCIM:
        return
    changes = _identity_changes(user, attributes)
    if not changes:
        return
    names = " and ".join(IDENTITY_FIELDS[field] for field in changes)
    reason = (
        f"Microsoft Entra ID (SCIM) may not change the {names} of {user.user_name}, who is "
        "an admin: single sign-on finds people by these, and this account does not let "
        "provisioning grant the admin role. An admin can allow it in Settings → API → "
        'Provisioning ("Let Entra ID make users admins").'
    )
    _record_refusal(
        tenant=tenant,
        actor=actor,
        action=AuditAction.USER_UPDATE_REFUSED,
        target=user,
        changes={**changes, "reason": reason},
    )
    raise ValidationError(reason, code="invalid")


def _record_refusal(**fields: Unpack[EventFields]) -> None:
    """Write the audit row of a refused change so that the refusal's rollback keeps it.

    The refusal undoes the transaction it happens in (a SCIM write is one), and the row
    saying that something was refused must outlive it. A thread has a database connection
    of its own, as the SCIM request log's writer does: the row is committed there, alone.
    """
    event = build_event(**fields)
    writer = threading.Thread(target=_save_alone, args=(event,), name="audit-refusal")
    writer.start()
    if connection.vendor != "sqlite":
        # SQLite has one writer, this transaction, until the refusal ends: the row waits.
        writer.join()


def _save_alone(event: AuditEvent) -> None:
    try:
        event.save()
    finally:
        connection.close()  # this thread's connection, opened for the one row


def _check_manager(user: User, manager: User | None) -> None:
    if manager is None:
        return
    if manager.tenant_id != user.tenant_id:
        raise ValidationError("The manager must be a user of the same account.", code="invalid")
    if user.pk and manager.pk == user.pk:
        raise ValidationError("A user cannot be their own manager.", code="invalid")


def _apply(tenant: Tenant, actor: Actor, user: User, attributes: dict[str, Any]) -> None:
    unknown = set(attributes) - set(ALL_FIELDS)
    if unknown:
        raise ValueError(f"Unknown user attributes: {sorted(unknown)}")
    # Everything is checked before the instance changes, so a refused change leaves the
    # caller's object as it was (a form re-rendered after the error shows the saved values).
    for field in (*MULTI_VALUED, "addresses"):
        if len(attributes.get(field) or []) > MAX_MULTI_VALUES:
            label = field.replace("_", " ")
            raise ValidationError(
                f"A user has at most {MAX_MULTI_VALUES} {label}; got {len(attributes[field])}.",
                code="invalid",
            )
    values = {}
    for field in SCALAR_FIELDS:
        if field in attributes:
            values[field] = _clean_scalar(field, attributes[field])
    if "manager" in attributes:
        _check_manager(user, attributes["manager"])
        values["manager"] = attributes["manager"]
    role, custom_role = _resolve_roles(user, attributes)
    _check_admin_grant(tenant, actor, user, role)
    _check_identity_of_admin(tenant, actor, user, role, attributes)
    _check_group_rule(user, role, custom_role)
    _check_last_admin(user, role=role, is_active=values.get("is_active", user.is_active))
    for field, value in values.items():
        setattr(user, field, value)
    user.role, user.custom_role = role, custom_role


def _clean_scalar(field: str, value: Any) -> Any:
    if field == "addresses":
        return [a for a in (value or []) if isinstance(a, dict)]
    if field == "is_active":
        return bool(value)
    value = "" if value is None else str(value)
    column = User._meta.get_field(field)
    max_length = getattr(column, "max_length", None)
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{getattr(column, 'verbose_name', field)} is longer than {max_length} characters.",
            code="invalid",
        )
    return value


def _save_multi(user: User, attributes: dict[str, Any], *, replace: bool) -> None:
    if user.tenant_id is None:
        raise ValueError("Only a tenant's users have emails and phone numbers.")
    for field, model in MULTI_VALUED.items():
        if field not in attributes:
            continue
        manager: Any = model.objects  # UserEmail or UserPhoneNumber: same columns
        if replace:
            manager.filter(user=user).delete()
        rows: list[Any] = [
            model(tenant_id=user.tenant_id, user=user, **item)
            for item in _normalise_multi(attributes[field])
        ]
        if len(rows) == 1 and is_prepared(model):
            insert_new(rows[0])  # Entra's usual one email; kept, never saved again
        else:
            manager.bulk_create(rows)
        remember_rows(user, field, rows)


def remember_rows(user: User, field: str, rows: list[MultiValuedAttribute]) -> None:
    """Keep the rows just written on the user (User.contacts reads them first), so a caller
    that shows the user after a change, as SCIM does, need not read them back."""
    setattr(user, WRITTEN_PREFIX + field, list(rows))


def _revoke_sessions(user: User) -> str:
    """End every session of the user for good: none started before now is accepted again.

    Deactivation calls it, whichever channel deactivates (page, admin, SCIM): the
    session hash then differs (User._get_session_auth_hash), so a session left unused
    while the user was inactive stays dead after a reactivation. Returns the column set.
    """
    user.sessions_revoked_at = timezone.now()
    return "sessions_revoked_at"


def _created_by(
    actor: Actor, source: Channel | None
) -> tuple[Channel | None, str | None, str | None]:
    """(channel, actor type, actor label) of a creation: a just-in-time agent is created by
    single sign-on, on the identity provider's word; others follow from the actor."""
    if actor is None and source == Channel.SSO:
        return Channel.SSO, "idp", "single sign-on"
    return None, None, None


@transaction.atomic
def create_user(
    *,
    tenant: Tenant,
    actor: Actor,
    attributes: dict[str, Any],
    password: str | None = None,
    source: Channel | None = None,
) -> User:
    """Create a tenant user; a duplicate userName (any case) is a "unique" error.

    `source` defaults to the actor's channel (SCIM for a token, a command for None).
    """
    attributes = dict(attributes)
    # No lookup first: the (tenant, lower(userName)) unique index refuses a taken name in
    # the INSERT itself, which every create would otherwise pay a query to foresee.
    user_name = _checked_user_name(attributes.pop("user_name", ""))
    if "emails" in attributes:
        attributes["emails"] = _checked_emails(attributes["emails"])
    user = User(tenant=tenant, user_name=user_name, source=source or channel_of(actor))
    if "role" not in attributes and "custom_role" not in attributes:
        attributes["role"] = BuiltinRole.END_USER
    _apply(tenant, actor, user, attributes)
    user.set_password(password)
    try:
        # No savepoint needed: the error leaves this atomic block, which undoes it all.
        user.save()
    except IntegrityError as error:
        raise ValidationError(
            f'A user with userName "{user_name}" already exists in this account.', code="unique"
        ) from error
    _save_multi(user, {field: attributes.get(field, []) for field in MULTI_VALUED}, replace=False)
    after = _snapshot(user)
    channel, actor_type, actor_label = _created_by(actor, source)
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.USER_CREATED,
        target=user,
        changes={k: [None, v] for k, v in after.items() if v not in ("", None, [], False)},
        channel=channel,
        actor_type=actor_type,
        actor_label=actor_label,
    )
    return user


@atomic_service
def update_user(*, tenant: Tenant, actor: Actor, user: User, attributes: dict[str, Any]) -> User:
    """Change the given attributes under the directory's rules; no change, no audit row."""
    if user.tenant_id != tenant.pk:
        raise Http404
    before = _snapshot(user)
    attributes = dict(attributes)
    if "user_name" in attributes:
        attributes["user_name"] = _check_user_name(tenant, attributes["user_name"], exclude=user)
    if "emails" in attributes:
        attributes["emails"] = _checked_emails(attributes["emails"])
    _apply(tenant, actor, user, attributes)
    after = _snapshot(user)
    for field in MULTI_VALUED:
        if field in attributes:
            attributes[field] = after[field] = _normalise_multi(attributes[field])
    changes = diff(before, after)
    if not changes:
        return user
    if "custom_role" in changes:
        changes.update(_effective_role_change(user, changes["custom_role"]))
    _save_update(user, attributes, changes, was_active=before["is_active"])
    record_event(
        tenant=tenant, actor=actor, action=AuditAction.USER_UPDATED, target=user, changes=changes
    )
    return user


def _effective_role_change(user: User, custom_role: list[Any]) -> dict[str, list[str]]:
    """A direct custom role given or taken from a user who also holds one through a group:
    their effective role changes too, and the same event, its cause, says so. One query,
    and only when the custom role changes."""
    row = (
        User.objects.filter(pk=user.pk, group_role__isnull=False)
        .values_list("group_role__name", "group_role_group__display_name")
        .first()
    )
    if row is None:
        return {}
    through_group = f"{row[0]} (from the group {row[1]})"
    before, after = (
        f"{name} (assigned directly)" if name else through_group for name in custom_role
    )
    return {"effective_custom_role": [before, after]}


def _save_update(
    user: User, attributes: dict[str, Any], changes: dict[str, Any], *, was_active: bool
) -> None:
    _save_multi(user, {f: attributes[f] for f in MULTI_VALUED if f in changes}, replace=True)
    # Only the columns this change sets: an edit of other columns meanwhile is kept.
    columns = [f for f in (*SCALAR_FIELDS, "manager") if f in attributes]
    user.modified_at = timezone.now()
    if was_active and not user.is_active:
        columns.append(_revoke_sessions(user))
    values = {f: getattr(user, f) for f in (*columns, "role", "custom_role", "modified_at")}
    try:
        # No savepoint needed: the error leaves update_user's atomic block, which undoes it all.
        save_with_version(user, values)
    except IntegrityError as error:
        raise ValidationError(
            f'A user with userName "{user.user_name}" already exists in this account.',
            code="unique",
        ) from error


def set_password(*, tenant: Tenant, actor: Actor, user: User, password: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.PASSWORD_SET,
            target=user,
            changes={"password": "changed"},
        )


@atomic_service
def delete_user(*, tenant: Tenant, actor: Actor, user: User) -> None:
    """Delete a user with their memberships; they stop being anyone's manager."""
    if user.tenant_id != tenant.pk:
        raise Http404
    _check_last_admin(user, role=user.role, is_active=user.is_active, deleting=True)
    # Groups sit above users: their rows are reached through reverse relations.
    memberships = list(user.memberships.select_related("group"))
    reports = list(User.objects.filter(manager=user).values_list("user_name", flat=True))
    events = [
        build_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.MEMBER_REMOVED,
            target=m.group,
            changes={"member": user.user_name, "reason": "user deleted"},
        )
        for m in memberships
    ]
    events.append(
        build_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.USER_DELETED,
            target=user,
            changes={
                "user_name": [user.user_name, None],
                "groups": [m.group.display_name for m in memberships],
                "manager_of": reports,
            },
        )
    )
    record_events(events)
    User.objects.filter(manager=user).update(manager=None, version=F("version") + 1)
    if memberships:
        tenant.groups.filter(pk__in=[m.group_id for m in memberships]).update(
            version=F("version") + 1
        )
    user.delete()


@transaction.atomic
def unlock_sign_in(*, actor: Actor, user: User) -> int:
    """Lift a sign-in lockout of this user now; return how many failure records were cleared.

    A lock on a client address is lifted with `manage.py axes_reset_ip ADDRESS`.
    """
    subdomain = user.tenant.subdomain if user.tenant is not None else None
    cleared = axes_reset(username=sign_in_key(subdomain, user.user_name))
    record_event(
        tenant=user.tenant,
        actor=actor,
        action=AuditAction.SIGN_IN_UNLOCKED,
        target=user,
        changes={"failure_records_cleared": cleared},
    )
    return cleared


SUPPORT_GROUP = "Support"  # Made by users/migrations/0002_support_group.py: view-only.


@transaction.atomic
def create_staff_account(
    *, actor: Actor, user_name: str, password: str, support: bool = False, superuser: bool = False
) -> User:
    """A platform staff account (no tenant) for Django admin: Support (view-only) or superuser."""
    if support and superuser:
        raise ValidationError("A staff account is Support or superuser, not both.", code="invalid")
    user_name = checked_name(user_name or "", label="userName")
    if not user_name:
        raise ValidationError("userName is required.", code="required")
    if User.objects.filter(tenant=None, user_name__iexact=user_name).exists():
        raise ValidationError(
            f'A staff account with userName "{user_name}" already exists.', code="unique"
        )
    user = User(tenant=None, user_name=user_name, is_staff=True, source=Channel.COMMAND)
    user.is_superuser = superuser
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ValidationError(
            f'A staff account with userName "{user_name}" already exists.', code="unique"
        ) from error
    groups = []
    if support:
        groups = [PermissionGroup.objects.get(name=SUPPORT_GROUP)]
        user.groups.set(groups)
    record_event(
        tenant=None,
        actor=actor,
        action=AuditAction.STAFF_CREATED,
        target=user,
        changes={
            "user_name": [None, user_name],
            "is_superuser": [None, superuser],
            "groups": [None, [group.name for group in groups]],
        },
    )
    return user


@transaction.atomic
def update_staff_account(
    *,
    actor: Actor,
    user: User,
    is_active: bool,
    is_staff: bool,
    groups: Iterable[PermissionGroup],
) -> User:
    """Change a platform staff account's access: active, Django admin, permission groups."""
    if user.tenant_id is not None:
        raise ValidationError(f"{user.user_name} is not a platform staff account.", code="invalid")
    groups = list(groups)
    before = {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }
    after: dict[str, Any] = {
        "is_active": bool(is_active),
        "is_staff": bool(is_staff),
        "groups": sorted(group.name for group in groups),
    }
    changes = diff(before, after)
    if not changes:
        return user
    columns = ["is_active", "is_staff", "modified_at"]
    if user.is_active and not after["is_active"]:
        columns.append(_revoke_sessions(user))
    user.is_active, user.is_staff = after["is_active"], after["is_staff"]
    user.save(update_fields=columns)
    user.groups.set(groups)
    record_event(
        tenant=None, actor=actor, action=AuditAction.STAFF_UPDATED, target=user, changes=changes
    )
    return user


def resolve_manager(tenant: Tenant, manager_id: UUID | str) -> User:
    """Scope a manager id from request data to the tenant; unknown ids are invalid values."""
    try:
        return get_user_for(tenant, manager_id)
    except Http404 as error:
        raise ValidationError(
            f'Manager "{manager_id}" is not a user of this account.', code="invalid"
        ) from error


@transaction.atomic
def end_other_sessions(*, tenant: Tenant | None, actor: User, user: User) -> User:
    """End every session of the user now; the caller keeps its own with
    update_session_auth_hash(), which stores the user's new session hash in it."""
    before = user.sessions_revoked_at
    user.save(update_fields=[_revoke_sessions(user)])
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.USER_UPDATED if tenant is not None else AuditAction.STAFF_UPDATED,
        target=user,
        changes=diff(
            {"sessions_revoked_at": before}, {"sessions_revoked_at": user.sessions_revoked_at}
        ),
    )
    return user
