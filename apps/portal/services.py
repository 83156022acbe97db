"""Making a tenant: the account, its built-in roles and a first admin; keeping an admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.audit.models import AuditAction
from apps.audit.services import record_event
from apps.roles.models import BuiltinRole
from apps.roles.services import create_builtin_roles
from apps.tenants.models import Tenant, subdomain_validator
from apps.users.services import create_user, find_user_by_name, set_password, update_user

if TYPE_CHECKING:
    from apps.audit.services import Actor
    from apps.users.models import User


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
    ensure_admin(tenant=tenant, actor=actor, user_name=admin_user_name, password=admin_password)
    return tenant


@transaction.atomic
def ensure_admin(*, tenant: Tenant, actor: Actor, user_name: str, password: str) -> User:
    """The tenant's user `user_name` as an active admin with this password; made if missing."""
    user = find_user_by_name(tenant, user_name)
    if user is None:
        return create_user(
            tenant=tenant,
            actor=actor,
            password=password,
            attributes={"user_name": user_name, "role": BuiltinRole.ADMIN},
        )
    if not user.is_tenant_admin:
        update_user(
            tenant=tenant,
            actor=actor,
            user=user,
            attributes={"role": BuiltinRole.ADMIN, "is_active": True},
        )
    if not user.check_password(password):
        set_password(tenant=tenant, actor=actor, user=user, password=password)
    return user
