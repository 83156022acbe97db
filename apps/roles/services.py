from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from apps.audit.models import AuditAction
from apps.audit.services import record_event
from apps.roles.models import BuiltinRole, GroupRoleLink, Role, normalize_role_name
from apps.tenants.transactions import atomic_service

if TYPE_CHECKING:
    from apps.audit.services import Actor, Target
    from apps.tenants.models import Tenant

BUILTIN_DESCRIPTIONS: dict[str, str] = {
    BuiltinRole.END_USER: "Customers who contact the organisation; cannot join groups.",
    BuiltinRole.AGENT: "Staff who answer conversations and can join groups.",
    BuiltinRole.ADMIN: "Agents who also manage the account's settings.",
}
BUILTIN_NORMALIZED = {normalize_role_name(value): value for value in BuiltinRole.values}
BUILTIN_RANK: dict[str, int] = {BuiltinRole.END_USER: 0, BuiltinRole.AGENT: 1, BuiltinRole.ADMIN: 2}


def find_roles(*, tenant: Tenant, values: Iterable[str]) -> list[Role]:
    """The tenant's roles named by these values (any case or spacing); unknown ones are invalid."""
    values = [v for v in values if v and v.strip()]
    if not values:
        return []
    return _named(_roles_by_name(tenant), values)


def _roles_by_name(tenant: Tenant) -> dict[str, Role]:
    return {r.normalized_name: r for r in Role.objects.for_tenant(tenant)}


def _named(roles: dict[str, Role], values: Iterable[str]) -> list[Role]:
    found, unknown = [], []
    for value in (v for v in values if v and v.strip()):
        role = roles.get(normalize_role_name(value))
        if role is None:
            unknown.append(value)
        elif role not in found:
            found.append(role)
    if unknown:
        valid = ", ".join(r.value for r in roles.values())
        raise ValidationError(
            f"{', '.join(repr(v) for v in unknown)}: no such role in this account. "
            f"Valid roles: {valid}.",
            code="invalid",
        )
    return found


Assignment: TypeAlias = "tuple[str, Role | None]"
"""What a user holds: (built-in role, custom role or None)."""


class RoleChange(enum.Enum):
    """How a request changes the roles a user holds (SCIM's operations on `roles`)."""

    REPLACE = "replace"  # exactly these roles
    ADD = "add"  # these beside the ones held
    REMOVE = "remove"  # the ones held less these
    REMOVE_ALL = "remove all"
    SET_ONE = "set one"  # this role in place of the held role of its kind (built-in or custom)


def resolve_role_assignment(
    *, tenant_id: int | None, held: Assignment, changes: dict[str, Any]
) -> Assignment:
    """What a user ends up holding when `changes` ("role", "custom_role", either or both)
    are applied to what they hold: the one place the rules between the two are applied.

    A custom role makes an agent: an end-user given one becomes an agent; taking the
    agent role away (an end-user role given without a custom role) takes it with it.
    """
    role = changes.get("role", held[0])
    custom_role = changes.get("custom_role", held[1])
    if role not in BuiltinRole.values:
        raise ValidationError(
            f'"{role}" is not a role. Valid roles: {", ".join(BuiltinRole.values)}.',
            code="invalid",
        )
    if custom_role is None:
        return role, None
    if custom_role.is_builtin or custom_role.tenant_id != tenant_id:
        raise ValidationError(f'"{custom_role}" is not a custom role.', code="invalid")
    if role != BuiltinRole.END_USER:
        return role, custom_role
    if "role" in changes and "custom_role" not in changes:
        return role, None
    return BuiltinRole.AGENT, custom_role


def change_role_assignment(
    *,
    tenant: Tenant,
    change: RoleChange,
    values: Iterable[str],
    current: tuple[str | None, Role | None],
    held: Assignment | None,
) -> Assignment:
    """What a user holds after `change` with the roles named by `values`, from the `current`
    assignment (an earlier operation of the same request may have changed it; no built-in
    role yet for a new user) and what was `held` before the request (None for a new user).
    The roles are looked up here, in one query: a request names them, the service decides."""
    by_name = _roles_by_name(tenant)
    roles = _named(by_name, values)
    builtin, custom = current
    held_now = _named(by_name, [builtin] if builtin else [])
    current_roles = [*held_now, custom] if custom is not None else held_now
    return _changed(tenant, change, roles, current_roles, held)


def _changed(
    tenant: Tenant,
    change: RoleChange,
    roles: list[Role],
    current: list[Role],
    held: Assignment | None,
) -> Assignment:
    if change is RoleChange.ADD:
        return assignment_for(tenant=tenant, roles=_added(current, roles))
    if change is RoleChange.SET_ONE:
        return assignment_for(tenant=tenant, roles=_set_one(current, roles))
    if change is RoleChange.REPLACE and roles:
        return assignment_for(tenant=tenant, roles=roles)
    # An empty replace is the unassigned state too (RFC 7644 §3.5.2): a removal.
    gone = {role.pk for role in roles} if change is RoleChange.REMOVE else None
    remaining = [role for role in current if gone is not None and role.pk not in gone]
    return assignment_after_removal(tenant=tenant, held=held, remaining=remaining)


def _added(current: list[Role], roles: list[Role]) -> list[Role]:
    """A new custom role takes the place of the one held, since a user holds one."""
    if any(not role.is_builtin for role in roles):
        current = [role for role in current if role.is_builtin]
    return [*current, *roles]


def _set_one(current: list[Role], roles: list[Role]) -> list[Role]:
    """The role given takes the place of the held role of its kind (built-in or custom)."""
    builtin_given = any(role.is_builtin for role in roles)
    return [*(role for role in current if role.is_builtin != builtin_given), *roles]


def assignment_for(*, tenant: Tenant, roles: Iterable[Role]) -> Assignment:
    """(built-in role, custom role) for a set of assigned roles.

    The highest built-in role wins (admin > agent > end-user); at most one custom role;
    no built-in role gives the tenant's provisioning role.
    """
    roles = list(roles)
    builtins = [r.builtin for r in roles if r.is_builtin]
    customs = [r for r in roles if not r.is_builtin]
    if len(customs) > 1:
        raise ValidationError(
            f"A user holds at most one custom role; got {', '.join(r.name for r in customs)}.",
            code="invalid",
        )
    builtin = max(builtins, key=BUILTIN_RANK.__getitem__) if builtins else tenant.provisioning_role
    return builtin, (customs[0] if customs else None)


def assignment_after_removal(
    *, tenant: Tenant, held: Assignment | None, remaining: Iterable[Role]
) -> Assignment:
    """(built-in role, custom role) once roles are taken away: never above what was held.

    No role left means the tenant's provisioning role, which may be higher than the role
    the user held (an end-user in a tenant that provisions agents); a removal never
    widens access, so the lower of the two wins. A new user (held None) holds nothing yet.
    """
    builtin, custom = assignment_for(tenant=tenant, roles=remaining)
    if held is not None and BUILTIN_RANK[builtin] > BUILTIN_RANK[held[0]]:
        builtin = held[0]
    return builtin, custom


def get_role_for(tenant: Tenant, role_id: UUID | str) -> Role:
    """The tenant's role with this public id, else 404."""
    return Role.objects.get_for(tenant, role_id)


def create_builtin_roles(*, tenant: Tenant) -> list[Role]:
    """Every tenant has the three built-in roles, with stable ids."""
    return Role.objects.bulk_create(
        Role(
            tenant=tenant,
            name=value,
            normalized_name=normalize_role_name(value),
            description=BUILTIN_DESCRIPTIONS[value],
            builtin=value,
        )
        for value in BuiltinRole.values
    )


def _max_length(field: str) -> int:
    return getattr(Role._meta.get_field(field), "max_length", None) or 0


def _validate_custom_name(*, tenant: Tenant, name: str, exclude: Role | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("A role needs a name.", code="required")
    max_length = _max_length("name")
    if len(name) > max_length:
        raise ValidationError(f"A role name is at most {max_length} characters.", code="invalid")
    normalized = normalize_role_name(name)
    if not normalized:
        raise ValidationError("A role name needs letters or digits.", code="invalid")
    if normalized in BUILTIN_NORMALIZED:
        raise ValidationError(
            f'"{name}" is too close to the built-in role "{BUILTIN_NORMALIZED[normalized]}". '
            "Custom role names must not look like end-user, agent or admin.",
            code="invalid",
        )
    clash = Role.objects.for_tenant(tenant).filter(normalized_name=normalized)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    existing = clash.first()
    if existing is not None:
        raise ValidationError(
            f'A role named "{existing.name}" already exists; choose another name.', code="unique"
        )
    return name


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    max_length = _max_length("description")
    if len(description) > max_length:
        raise ValidationError(
            f"A role description is at most {max_length} characters.", code="invalid"
        )
    return description


def _taken(name: str) -> ValidationError:
    return ValidationError(
        f'A role named "{name}" already exists; choose another name.', code="unique"
    )


@transaction.atomic
def create_role(*, tenant: Tenant, actor: Actor, name: str, description: str = "") -> Role:
    """Add a custom role; names like the built-in roles are refused."""
    name = _validate_custom_name(tenant=tenant, name=name)
    description = _clean_description(description)
    try:
        with transaction.atomic():
            role = Role.objects.create(
                tenant=tenant,
                name=name,
                normalized_name=normalize_role_name(name),
                description=description,
            )
    except IntegrityError as error:
        # Another request created the same name between the check and the insert.
        raise _taken(name) from error
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.ROLE_CREATED,
        target=role,
        changes={"name": [None, role.name], "description": [None, role.description]},
    )
    return role


@transaction.atomic
def update_role(*, tenant: Tenant, actor: Actor, role: Role, name: str, description: str) -> Role:
    """Rename or describe a custom role; built-in roles cannot change."""
    if role.is_builtin:
        raise ValidationError(f'The built-in role "{role.name}" cannot be changed.', code="invalid")
    name = _validate_custom_name(tenant=tenant, name=name, exclude=role)
    description = _clean_description(description)
    changes = {}
    if name != role.name:
        changes["name"] = [role.name, name]
    if description != role.description:
        changes["description"] = [role.description, description]
    if not changes:
        return role
    role.name, role.normalized_name, role.description = name, normalize_role_name(name), description
    try:
        with transaction.atomic():
            role.save(update_fields=["name", "normalized_name", "description", "modified_at"])
    except IntegrityError as error:
        raise _taken(name) from error
    record_event(
        tenant=tenant, actor=actor, action=AuditAction.ROLE_UPDATED, target=role, changes=changes
    )
    return role


@transaction.atomic
def delete_role(*, tenant: Tenant, actor: Actor, role: Role) -> int:
    """Delete a custom role; its holders stay agents. Returns how many users held it."""
    if role.is_builtin:
        raise ValidationError(f'The built-in role "{role.name}" cannot be deleted.', code="invalid")
    holders = list(role.holders.values_list("user_name", flat=True))
    # Holders are agents already (a custom role implies agent); a holder stored as
    # end-user by older data is moved to agent too, so nobody leaves a group as end-user.
    role.holders.update(
        custom_role=None,
        role=Case(
            When(role=BuiltinRole.END_USER, then=Value(BuiltinRole.AGENT)), default=F("role")
        ),
        version=F("version") + 1,
    )
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.ROLE_DELETED,
        target=role,
        changes={"name": [role.name, None], "holders_moved_to_agent": holders},
    )
    # Members who held it through a group fall back to their next linked group's role.
    store_group_roles(
        tenant=tenant,
        actor=actor,
        users=role.group_role_holders.all(),
        cause=f"the custom role {role.name} was deleted",
        target=role,
        without=Q(role=role),
    )
    role.delete()
    return len(holders)


# --- permission profiles from groups: the effective custom role ---
#
# A user's effective custom role is the one assigned to them directly (Entra's app-role
# assignment or an admin: User.custom_role, what SCIM shows); without one, the role of the
# first group they belong to that is linked to a role, in the admin's order of the links
# (User.group_role, stored here). Only agents can be group members, so a group role never
# reaches an end-user.

CHANGED_USERS_LISTED = 20
"""How many of the users whose effective role changed one audit event names."""


def _first_link(without: Q | None) -> QuerySet[GroupRoleLink]:
    links = GroupRoleLink.objects.filter(group__memberships__user=OuterRef("pk")).in_order()
    return links.exclude(without) if without is not None else links


def _differs(field: str, other: str) -> Q:
    """`field` IS DISTINCT FROM `other`, NULLs included."""
    return (
        Q(**{f"{field}__isnull": True, f"{other}__isnull": False})
        | Q(**{f"{field}__isnull": False, f"{other}__isnull": True})
        | (Q(**{f"{field}__isnull": False, f"{other}__isnull": False}) & ~Q(**{field: F(other)}))
    )


def _effective_text(role: str | None, group: str | None) -> str:
    return f"{role} (from the group {group})" if role else "none"


def store_group_roles(
    *,
    tenant: Tenant,
    actor: Actor,
    users: QuerySet[Any],
    cause: str,
    target: Target,
    without: Q | None = None,
) -> int:
    """Store the group role of `users`: the role of the first linked group they belong to,
    leaving out the links `without` matches (a group or role about to be deleted).

    A constant number of statements whatever the number of users: a count and a sample of
    those whose effective role changes, then one UPDATE. One audit event names the `cause`
    when any effective role changes; users with a direct custom role keep it, so theirs
    does not. Runs in the caller's transaction. Returns how many effective roles changed."""
    links = _first_link(without)
    planned = users.annotate(
        new_role=Subquery(links.values("role")[:1]),
        new_group=Subquery(links.values("group")[:1]),
    )
    moved = planned.filter(
        _differs("group_role", "new_role") | _differs("group_role_group", "new_group")
    )
    effective = moved.filter(custom_role__isnull=True)
    changed = effective.count()
    listed = list(
        effective.annotate(
            new_role_name=Subquery(links.values("role__name")[:1]),
            new_group_name=Subquery(links.values("group__display_name")[:1]),
        )
        .order_by("pk")
        .values_list(
            "user_name",
            "group_role__name",
            "group_role_group__display_name",
            "new_role_name",
            "new_group_name",
        )[:CHANGED_USERS_LISTED]
    )
    users.update(
        group_role=Subquery(links.values("role")[:1]),
        group_role_group=Subquery(links.values("group")[:1]),
    )
    if changed:
        record_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.EFFECTIVE_ROLES_CHANGED,
            target=target,
            changes={
                "cause": cause,
                "users_changed": changed,
                "users": [
                    f"{name}: {_effective_text(old_role, old_group)} → "
                    f"{_effective_text(new_role, new_group)}"
                    for name, old_role, old_group, new_role, new_group in listed
                ],
            },
        )
    return changed


def _lock_groups(tenant: Tenant, *groups: Any) -> None:
    """Hold the groups' rows, as a member change does (Entra's PATCH locks its group), so
    a membership and a link changing at once do not miss each other."""
    ids = [group.pk for group in groups]
    list(tenant.groups.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))


def _members(tenant: Tenant, group: Any) -> QuerySet[Any]:
    # The users app sits above roles: the tenant's reverse relation reaches its users.
    return tenant.users.filter(memberships__group=group)


def get_link_for(tenant: Tenant, group_id: UUID | str) -> GroupRoleLink:
    """The tenant's link of the group with this public id, else 404."""
    links = GroupRoleLink.objects.for_tenant(tenant).select_related("group", "role")
    try:
        return links.get(group__public_id=group_id)
    except (ObjectDoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No linked group with this id.") from error


@atomic_service
def link_group_role(*, tenant: Tenant, actor: Actor, group: Any, role: Role) -> GroupRoleLink:
    """Give the group's members `role` through the group; a linked group changes its role
    and keeps its place in the order. A new link goes last."""
    if group.tenant_id != tenant.pk or role.tenant_id != tenant.pk:
        raise ValidationError("That group or role is not in this account.", code="invalid")
    if role.is_builtin:
        raise ValidationError(
            f'"{role.name}" is a built-in role; link a group to a custom role.', code="invalid"
        )
    _lock_groups(tenant, group)
    link = GroupRoleLink.objects.select_for_update().filter(group=group).first()
    before = link.role.name if link is not None else None
    if link is not None and link.role_id == role.pk:
        return link
    if link is None:
        last = GroupRoleLink.objects.for_tenant(tenant).aggregate(last=Max("position"))["last"]
        link = GroupRoleLink.objects.create(
            tenant=tenant, group=group, role=role, position=(last or 0) + 1
        )
    else:
        link.role = role
        link.save(update_fields=["role"])
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.GROUP_ROLE_LINKED,
        target=group,
        changes={"custom_role": [before, role.name]},
    )
    store_group_roles(
        tenant=tenant,
        actor=actor,
        users=_members(tenant, group),
        cause=f"the group {group.display_name} was linked to {role.name}",
        target=group,
    )
    return link


@atomic_service
def unlink_group_role(*, tenant: Tenant, actor: Actor, link: GroupRoleLink) -> None:
    """The group's members stop holding its role; their next linked group's role applies."""
    if link.tenant_id != tenant.pk:
        raise ValidationError("That link is not in this account.", code="invalid")
    group, role = link.group, link.role
    _lock_groups(tenant, group)
    link.delete()
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.GROUP_ROLE_UNLINKED,
        target=group,
        changes={"custom_role": [role.name, None]},
    )
    store_group_roles(
        tenant=tenant,
        actor=actor,
        users=_members(tenant, group),
        cause=f"the group {group.display_name} was unlinked from {role.name}",
        target=group,
    )


@atomic_service
def move_group_role_link(
    *, tenant: Tenant, actor: Actor, link: GroupRoleLink, up: bool
) -> GroupRoleLink:
    """Swap the link with the one before it (`up`) or after it in the admin's order."""
    links = GroupRoleLink.objects.for_tenant(tenant).select_for_update().select_related("group")
    neighbour = (
        links.filter(position__lt=link.position).order_by("-position", "-pk")
        if up
        else links.filter(position__gt=link.position).in_order()
    ).first()
    if neighbour is None:
        return link
    _lock_groups(tenant, link.group, neighbour.group)
    link.position, neighbour.position = neighbour.position, link.position
    GroupRoleLink.objects.filter(pk=link.pk).update(position=link.position)
    GroupRoleLink.objects.filter(pk=neighbour.pk).update(position=neighbour.position)
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.GROUP_ROLE_MOVED,
        target=link.group,
        changes={"position": [neighbour.position, link.position]},
    )
    store_group_roles(
        tenant=tenant,
        actor=actor,
        users=tenant.users.filter(memberships__group__in=[link.group_id, neighbour.group_id]),
        cause=(
            f"the group {link.group.display_name} moved {'above' if up else 'below'} "
            f"{neighbour.group.display_name} in the order of linked groups"
        ),
        target=link.group,
    )
    return link


def store_member_group_roles(
    *, tenant: Tenant, actor: Actor, group: Any, users: Iterable[Any], cause: str
) -> int:
    """After members join or leave a group: their group roles, if the group is linked.

    `group.has_role_link`, when the caller loaded it (Group.objects.for_scim), saves the
    query that asks; an unlinked group's members keep their roles, so nothing more runs."""
    linked = getattr(group, "has_role_link", None)
    if linked is None:
        linked = GroupRoleLink.objects.filter(group=group).exists()
    if not linked:
        return 0
    return store_group_roles(
        tenant=tenant,
        actor=actor,
        users=tenant.users.filter(pk__in=[user.pk for user in users]),
        cause=cause,
        target=group,
    )
