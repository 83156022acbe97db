"""Making a tenant: the account, its built-in roles and a first admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.audit.models import AuditAction, Channel
from apps.audit.services import record_event
from apps.roles.models import BuiltinRole
from apps.roles.services import create_builtin_roles
from apps.tenants.models import Tenant, subdomain_validator
from apps.users.services import create_user

if TYPE_CHECKING:
    from apps.audit.services import Actor


@transaction.atomic
def create_tenant(
    *, actor: Actor, subdomain: str, admin_user_name: str, admin_password: str, name: str = ""
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
        action=AuditAction.TENANT_CREATED,
        target=tenant,
        changes={"subdomain": [None, subdomain], "name": [None, tenant.name]},
    )
    create_builtin_roles(tenant=tenant)
    create_user(
        tenant=tenant,
        actor=actor,
        password=admin_password,
        source=Channel.COMMAND,
        attributes={"user_name": admin_user_name, "role": BuiltinRole.ADMIN},
    )
    return tenant
