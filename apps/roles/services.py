from django.core.exceptions import ValidationError
from django.db import transaction

from apps.audit.services import record_event
from apps.roles.models import BuiltinRole, Role, normalize_role_name
from apps.users.models import User

BUILTIN_DESCRIPTIONS = {
    BuiltinRole.END_USER: "Customers who contact the organisation; cannot join groups.",
    BuiltinRole.AGENT: "Staff who answer conversations and can join groups.",
    BuiltinRole.ADMIN: "Agents who also manage the account's settings.",
}
BUILTIN_NORMALIZED = {normalize_role_name(value): value for value in BuiltinRole.values}


def create_builtin_roles(*, tenant) -> list[Role]:
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


def _validate_custom_name(*, tenant, name: str, exclude: Role | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("A role needs a name.", code="required")
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


@transaction.atomic
def create_role(*, tenant, actor, name: str, description: str = "") -> Role:
    """Add a custom role; names like the built-in roles are refused."""
    name = _validate_custom_name(tenant=tenant, name=name)
    role = Role.objects.create(
        tenant=tenant, name=name, normalized_name=normalize_role_name(name),
        description=description.strip(),
    )
    record_event(
        tenant=tenant, actor=actor, action="role.created", target=role,
        changes={"name": [None, role.name], "description": [None, role.description]},
    )
    return role


@transaction.atomic
def update_role(*, tenant, actor, role: Role, name: str, description: str) -> Role:
    """Rename or describe a custom role; built-in roles cannot change."""
    if role.is_builtin:
        raise ValidationError(f'The built-in role "{role.name}" cannot be changed.', code="invalid")
    name = _validate_custom_name(tenant=tenant, name=name, exclude=role)
    description = description.strip()
    changes = {}
    if name != role.name:
        changes["name"] = [role.name, name]
    if description != role.description:
        changes["description"] = [role.description, description]
    if not changes:
        return role
    role.name, role.normalized_name, role.description = name, normalize_role_name(name), description
    role.save(update_fields=["name", "normalized_name", "description", "modified_at"])
    record_event(tenant=tenant, actor=actor, action="role.updated", target=role, changes=changes)
    return role


@transaction.atomic
def delete_role(*, tenant, actor, role: Role) -> int:
    """Delete a custom role; its holders stay agents. Returns how many users held it."""
    if role.is_builtin:
        raise ValidationError(f'The built-in role "{role.name}" cannot be deleted.', code="invalid")
    holders = list(
        User.objects.for_tenant(tenant).filter(custom_role=role).values_list("user_name", flat=True)
    )
    # Holders are agents already (a custom role implies agent), so only the link goes.
    User.objects.for_tenant(tenant).filter(custom_role=role).update(custom_role=None)
    record_event(
        tenant=tenant, actor=actor, action="role.deleted", target=role,
        changes={"name": [role.name, None], "holders_moved_to_agent": holders},
    )
    role.delete()
    return len(holders)
