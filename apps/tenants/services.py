from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.audit.services import record_event
from apps.roles.models import BuiltinRole
from apps.roles.services import create_builtin_roles
from apps.tenants.models import Tenant, subdomain_validator
from apps.users.models import Source
from apps.users.services import create_user

PROVISIONING_ROLES = (BuiltinRole.AGENT, BuiltinRole.END_USER)


def get_tenant(subdomain: str) -> Tenant:
    return get_object_or_404(Tenant, subdomain=(subdomain or "").strip().lower())


@transaction.atomic
def create_tenant(
    *, actor, subdomain: str, admin_user_name: str, admin_password: str, name: str = ""
) -> Tenant:
    """A tenant with its built-in roles and a first admin who can sign in."""
    subdomain = (subdomain or "").strip().lower()
    subdomain_validator(subdomain)
    if Tenant.objects.filter(subdomain=subdomain).exists():
        raise ValidationError(f'The subdomain "{subdomain}" is taken.', code="unique")
    if not admin_password:
        raise ValidationError("The admin needs a password.", code="required")
    try:
        with transaction.atomic():
            tenant = Tenant.objects.create(subdomain=subdomain, name=name.strip() or subdomain)
    except IntegrityError as error:
        raise ValidationError(f'The subdomain "{subdomain}" is taken.', code="unique") from error
    record_event(
        tenant=tenant,
        actor=actor,
        action="tenant.created",
        target=tenant,
        changes={"subdomain": [None, subdomain], "name": [None, tenant.name]},
    )
    create_builtin_roles(tenant=tenant)
    create_user(
        tenant=tenant,
        actor=actor,
        password=admin_password,
        source=Source.COMMAND,
        attributes={"user_name": admin_user_name, "role": BuiltinRole.ADMIN},
    )
    return tenant


@transaction.atomic
def set_token_access(*, tenant: Tenant, actor, enabled: bool) -> Tenant:
    """Switch Token Access; with it off, every API token of the tenant is refused."""
    if enabled == tenant.has_token_access:
        return tenant
    tenant.token_access_enabled_at = timezone.now() if enabled else None
    tenant.save(update_fields=["token_access_enabled_at"])
    record_event(
        tenant=tenant,
        actor=actor,
        action="tenant.token_access",
        target=tenant,
        changes={"token_access": [not enabled, enabled]},
    )
    return tenant


@transaction.atomic
def set_provisioning_role(*, tenant: Tenant, actor, role: str) -> Tenant:
    """The role given to users that Entra creates without a role."""
    if role not in PROVISIONING_ROLES:
        raise ValidationError(
            f'"{role}" cannot be the provisioning role; choose agent or end-user.', code="invalid"
        )
    if role == tenant.provisioning_role:
        return tenant
    record_event(
        tenant=tenant,
        actor=actor,
        action="tenant.provisioning_role",
        target=tenant,
        changes={"provisioning_role": [tenant.provisioning_role, role]},
    )
    tenant.provisioning_role = role
    tenant.save(update_fields=["provisioning_role"])
    return tenant
