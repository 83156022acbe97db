"""Groups and their members; only agents can be members, whatever the channel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import build_event, channel_of, record_event, record_events
from apps.groups.models import Group, GroupMembership, GroupQuerySet
from apps.roles.services import store_group_roles, store_member_group_roles
from apps.tenants.scoping import save_with_version
from apps.tenants.transactions import atomic, atomic_service
from apps.users.models import User
from apps.users.services import find_users

if TYPE_CHECKING:
    from apps.audit.services import Actor
    from apps.tenants.models import Tenant


def get_group_for(
    tenant: Tenant, group_id: UUID | str, *, queryset: GroupQuerySet | None = None
) -> Group:
    """The tenant's group with this public id, else 404; `queryset` adds prefetches or locks."""
    return (Group.objects.all() if queryset is None else queryset).get_for(tenant, group_id)


def find_groups(tenant: Tenant, group_ids: Iterable[UUID]) -> list[Group]:
    """The tenant's groups with these public ids, in name order; an unknown id is invalid."""
    group_ids = set(group_ids)
    groups = list(
        Group.objects.for_tenant(tenant)
        .filter(public_id__in=group_ids)
        .order_by(Lower("display_name"), "pk")
    )
    if len(groups) < len(group_ids):
        raise ValidationError(
            "A group you ticked is no longer in this account (deleted meanwhile?); "
            "reload the page and tick again.",
            code="invalid",
        )
    return groups


def _check_display_name(tenant: Tenant, display_name: str, exclude: Group | None = None) -> str:
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError("displayName is required.", code="required")
    if len(display_name) > 255:
        raise ValidationError("displayName is longer than 255 characters.", code="invalid")
    clashes = Group.objects.for_tenant(tenant).filter(
        display_name__lower=Lower(Value(display_name))
    )
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude.pk)
    clash = clashes.first()
    if clash is not None:
        raise ValidationError(
            f'A group named "{clash.display_name}" already exists in this account.', code="unique"
        )
    return display_name


def _check_external_id(external_id: str | None) -> str:
    external_id = external_id or ""
    if len(external_id) > 255:
        raise ValidationError("externalId is longer than 255 characters.", code="invalid")
    return external_id


def _check_members(
    tenant: Tenant, users: Iterable[User], *, group: Group | None = None
) -> tuple[list[User], set[int]]:
    """The users, if every one is an agent of the tenant; and, with `group`, which of them
    are its members already (read in the same query)."""
    users = list({u.pk: u for u in users}.values())
    for user in users:
        if user.tenant_id != tenant.pk:
            raise ValidationError(f'"{user}" is not a user of this account.', code="invalid")
    # Roles are re-read under a row lock: a stale instance or a demotion running at the
    # same time must not let an end-user into a group.
    is_member = (
        Exists(GroupMembership.objects.filter(group=group, user=OuterRef("pk")))
        if group is not None
        else Value(False)
    )
    agents = dict(
        User.objects.filter(pk__in=[u.pk for u in users])
        .agents()
        .select_for_update()
        .annotate(is_member=is_member)
        .values_list("pk", "is_member")
    )
    refused = [u.user_name for u in users if u.pk not in agents]
    if refused:
        raise ValidationError(
            f"{', '.join(refused)} {'is an end-user' if len(refused) == 1 else 'are end-users'}: "
            "only agents (agents, admins and holders of a custom role) can be group members.",
            code="invalid",
        )
    return users, {pk for pk, member in agents.items() if member}


def _count(users: list[User], noun: str) -> str:
    if len(users) == 1:
        return users[0].user_name
    return f"{len(users)} {noun}s"


def _touch(group: Group) -> None:
    """Count the group's version on and move its lastModified: one UPDATE, however many
    members changed (a member change is a change of the group, as SCIM's meta says)."""
    now = timezone.now()
    save_with_version(group, {"modified_at": now}, refresh=("version", "modified_at"))
    group.modified_at = now


def _record_member_changes(
    *, tenant: Tenant, actor: Actor, group: Group, users: list[User], action: AuditAction
) -> None:
    """One audit row per member added or removed; the caller touches the group once."""
    record_events(
        [
            build_event(
                tenant=tenant,
                actor=actor,
                action=action,
                target=group,
                changes={"member": u.user_name, "member_id": str(u.public_id)},
            )
            for u in users
        ]
    )


@atomic_service
def create_group(
    *,
    tenant: Tenant,
    actor: Actor,
    display_name: str,
    external_id: str = "",
    members: Iterable[User] = (),
) -> Group:
    """Create a group; a duplicate displayName (any case) is a "unique" error."""
    display_name = _check_display_name(tenant, display_name)
    external_id = _check_external_id(external_id)
    members, _ = _check_members(tenant, members)
    try:
        with atomic():
            group = Group.objects.create(
                tenant=tenant,
                display_name=display_name,
                external_id=external_id or "",
                # The channel names the source: SCIM for a token, admin for staff, ...
                source=channel_of(actor).value,
            )
    except IntegrityError as error:
        raise ValidationError(
            f'A group named "{display_name}" already exists in this account.', code="unique"
        ) from error
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.GROUP_CREATED,
        target=group,
        changes={"display_name": [None, display_name], "external_id": [None, group.external_id]},
    )
    if members:
        # The group is new: its created and lastModified moments already cover its members.
        _insert_members(tenant=tenant, actor=actor, group=group, users=members, existing=set())
    return group


def update_group(
    *,
    tenant: Tenant,
    actor: Actor,
    group: Group,
    display_name: str | None = None,
    external_id: str | None = None,
) -> Group:
    """Rename a group or change its externalId; no change, no transaction and no write.

    (A member PATCH passes the unchanged name: it costs no savepoint here.)
    """
    if group.tenant_id != tenant.pk:
        raise Http404
    changes = {}
    if display_name is not None and display_name.strip() != group.display_name:
        display_name = _check_display_name(tenant, display_name, exclude=group)
        changes["display_name"] = [group.display_name, display_name]
        group.display_name = display_name
    if external_id is not None and _check_external_id(external_id) != group.external_id:
        changes["external_id"] = [group.external_id, external_id or ""]
        group.external_id = external_id or ""
    if not changes:
        return group
    with atomic():
        group.modified_at = timezone.now()
        values = {f: getattr(group, f) for f in ("display_name", "external_id", "modified_at")}
        try:
            with atomic():
                save_with_version(group, values, refresh=("version", "modified_at"))
        except IntegrityError as error:
            raise ValidationError(
                f'A group named "{group.display_name}" already exists in this account.',
                code="unique",
            ) from error
        record_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.GROUP_UPDATED,
            target=group,
            changes=changes,
        )
    return group


def _insert_members(
    *, tenant: Tenant, actor: Actor, group: Group, users: list[User], existing: set[int]
) -> list[User]:
    """Make the users members, but those in `existing` (already members)."""
    new = [u for u in users if u.pk not in existing]
    if not new:
        return []
    GroupMembership.objects.bulk_create(
        [GroupMembership(tenant_id=group.tenant_id, group=group, user=u) for u in new],
        ignore_conflicts=True,
    )
    _record_member_changes(
        tenant=tenant, actor=actor, group=group, users=new, action=AuditAction.MEMBER_ADDED
    )
    store_member_group_roles(
        tenant=tenant,
        actor=actor,
        group=group,
        users=new,
        cause=f"{_count(new, 'member')} joined the group {group.display_name}",
    )
    return new


def _remove_members(*, tenant: Tenant, actor: Actor, group: Group, users: list[User]) -> list[User]:
    memberships = GroupMembership.objects.filter(tenant=tenant, group=group, user__in=users)
    removed_ids = set(memberships.values_list("user_id", flat=True))
    if not removed_ids:
        return []
    memberships.delete()
    removed = [u for u in users if u.pk in removed_ids]
    _record_member_changes(
        tenant=tenant, actor=actor, group=group, users=removed, action=AuditAction.MEMBER_REMOVED
    )
    store_member_group_roles(
        tenant=tenant,
        actor=actor,
        group=group,
        users=removed,
        cause=f"{_count(removed, 'member')} left the group {group.display_name}",
    )
    return removed


def _set_members(*, tenant: Tenant, actor: Actor, group: Group, users: list[User]) -> list[User]:
    """Make the members exactly these users; the users added and removed."""
    users, _ = _check_members(tenant, users)
    wanted = {u.pk for u in users}
    current = list(
        User.objects.filter(memberships__group=group).only("pk", "user_name", "public_id")
    )
    removed = _remove_members(
        tenant=tenant, actor=actor, group=group, users=[u for u in current if u.pk not in wanted]
    )
    existing = {u.pk for u in current}
    return removed + _insert_members(
        tenant=tenant, actor=actor, group=group, users=users, existing=existing
    )


def _add_members(*, tenant: Tenant, actor: Actor, group: Group, users: list[User]) -> list[User]:
    users, existing = _check_members(tenant, users, group=group)
    return _insert_members(tenant=tenant, actor=actor, group=group, users=users, existing=existing)


_MEMBER_ACTIONS = {"add": _add_members, "set": _set_members, "remove": _remove_members}


def _change_and_touch(
    *, tenant: Tenant, actor: Actor, group: Group, action: str, users: Iterable[User]
) -> list[User]:
    if group.tenant_id != tenant.pk:
        raise Http404
    # The group's row first, as Entra's member PATCH takes it: a role linked to the group at
    # the same moment then sees these members (apps/roles/services.py).
    list(Group.objects.select_for_update().filter(pk=group.pk).values_list("pk", flat=True))
    changed = _MEMBER_ACTIONS[action](tenant=tenant, actor=actor, group=group, users=list(users))
    if changed:
        _touch(group)
    return changed


@atomic_service
def add_group_members(
    *, tenant: Tenant, actor: Actor, group: Group, users: Iterable[User]
) -> list[User]:
    """Add agents to a group, all or none: one end-user in the list refuses the whole
    request, and the refusal names every end-user in it."""
    return _change_and_touch(tenant=tenant, actor=actor, group=group, action="add", users=users)


@atomic_service
def remove_group_members(
    *, tenant: Tenant, actor: Actor, group: Group, users: Iterable[User]
) -> list[User]:
    """Remove exactly these users from the group; absent users are ignored."""
    return _change_and_touch(tenant=tenant, actor=actor, group=group, action="remove", users=users)


@atomic_service
def set_group_members(*, tenant: Tenant, actor: Actor, group: Group, users: Iterable[User]) -> None:
    """Make the members exactly these users (SCIM PUT and replace)."""
    _change_and_touch(tenant=tenant, actor=actor, group=group, action="set", users=users)


@atomic_service
def add_user_to_groups(
    *, tenant: Tenant, actor: Actor, user: User, groups: Iterable[Group]
) -> list[Group]:
    """Add one user to several groups, all or none (a user's page); the groups joined.

    The same rule as every member change: an end-user is refused and nothing changes."""
    if user.tenant_id != tenant.pk:
        raise Http404
    joined = []
    for group in groups:
        if add_group_members(tenant=tenant, actor=actor, group=group, users=[user]):
            joined.append(group)
    return joined


@atomic_service
def delete_group(*, tenant: Tenant, actor: Actor, group: Group) -> None:
    """Delete a group and its memberships; the members stay."""
    if group.tenant_id != tenant.pk:
        raise Http404
    member_count = GroupMembership.objects.filter(group=group).count()
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.GROUP_DELETED,
        target=group,
        changes={"display_name": [group.display_name, None], "member_count": member_count},
    )
    # Before the delete, while the memberships say who the members were.
    store_group_roles(
        tenant=tenant,
        actor=actor,
        users=User.objects.filter(memberships__group=group),
        cause=f"the group {group.display_name} was deleted",
        target=group,
        without=Q(group=group),
    )
    group.delete()


# --- member changes of a SCIM PATCH or PUT, as values ---


@dataclass(frozen=True)
class MemberChange:
    """One change to a group's members: add or set the users with these public ids (an
    unknown id is refused), remove them (unknown ids are ignored), or, with `matching`,
    remove the members it picks."""

    action: Literal["add", "set", "remove"]
    user_ids: tuple[str, ...] = ()
    matching: Callable[[User], bool] | None = None


# What a member change reads of a user: the rules, the audit rows and the group roles.
MEMBER_FIELDS = ("tenant_id", "public_id", "user_name")


def find_members(tenant: Tenant, user_ids: Iterable[str], *, strict: bool) -> list[User]:
    """The tenant's users with these public ids; with `strict`, an unknown id is invalid."""
    parsed, unknown = [], []
    for user_id in user_ids:
        try:
            parsed.append(UUID(user_id))
        except ValueError:
            unknown.append(user_id)
    users = find_users(tenant, parsed, only=MEMBER_FIELDS) if parsed else []
    found = {u.public_id for u in users}
    unknown += [str(u) for u in parsed if u not in found]
    if strict and unknown:
        raise ValidationError(
            f"No user with id {', '.join(repr(u) for u in unknown)} in this account; provision "
            "the user before adding them to a group.",
            code="invalid",
        )
    return users


@atomic_service
def change_members(
    *, tenant: Tenant, actor: Actor, group: Group, changes: Iterable[MemberChange]
) -> None:
    """Apply member changes in the order they were asked for (SCIM PATCH and PUT); the group
    is touched once at the end, not once per operation."""
    if group.tenant_id != tenant.pk:
        raise Http404
    changed = False
    for change in changes:
        if change.matching is not None:
            memberships = GroupMembership.objects.filter(group=group).select_related("user")
            users = [m.user for m in memberships if change.matching(m.user)]
        else:
            strict = change.action != "remove"
            users = find_members(tenant, change.user_ids, strict=strict)
        service = _MEMBER_ACTIONS[change.action]
        changed = bool(service(tenant=tenant, actor=actor, group=group, users=users)) or changed
    if changed:
        _touch(group)
