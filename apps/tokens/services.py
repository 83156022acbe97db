"""API tokens and the API module's account settings (Token Access, provisioning role)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import record_event
from apps.roles.models import BuiltinRole
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.tokens.secrets import DISPLAY_PREFIX_LENGTH, digest_of, new_secret

if TYPE_CHECKING:
    from apps.audit.services import Actor
    from apps.users.models import User

# The roles a user that Entra creates without any role may get (Provisioning tab).
PROVISIONING_ROLES = (BuiltinRole.AGENT, BuiltinRole.END_USER)


def get_token_for(tenant: Tenant, token_id: UUID | str) -> ApiToken:
    """The tenant's token with this public id, else 404."""
    return ApiToken.objects.get_for(tenant, token_id)


@transaction.atomic
def create_token(
    *,
    tenant: Tenant,
    actor: Actor,
    description: str,
    created_by: User | None = None,
    nonce: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; return it with its secret, which is never stored.

    A form passes its one-time nonce: a second call with the same nonce creates nothing
    and raises ValidationError(code="duplicate").
    """
    description = " ".join((description or "").split())
    if not description:
        raise ValidationError("Enter a description for the token.", code="required")
    if len(description) > 100:
        raise ValidationError("The description is at most 100 characters.", code="invalid")
    secret = new_secret()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                tenant=tenant,
                description=description,
                prefix=secret[:DISPLAY_PREFIX_LENGTH],
                last_four=secret[-4:],
                digest=digest_of(secret),
                created_by=created_by if created_by is not None else _user_or_none(actor),
                creation_nonce=nonce or None,
            )
    except IntegrityError as error:
        if nonce and ApiToken.objects.filter(creation_nonce=nonce).exists():
            raise ValidationError(
                "This form was already submitted; its token was created once.", code="duplicate"
            ) from error
        raise
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_CREATED,
        target=token,
        changes={"description": [None, description], "truncated": [None, token.truncated]},
    )
    return token, secret


def _user_or_none(actor: Actor) -> User | None:
    return None if actor is None or isinstance(actor, ApiToken) else actor


@transaction.atomic
def revoke_token(*, tenant: Tenant, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token; the row is kept for the audit trail."""
    if token.tenant_id != tenant.pk:
        raise Http404("No API token with this id.")
    if token.is_revoked:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_REVOKED,
        target=token,
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )
    return token


def touch_last_used(token: ApiToken) -> None:
    """Write last_used_at at most once a minute per token, not on every request."""
    now = timezone.now()
    resolution = timedelta(seconds=settings.TOKEN_LAST_USED_RESOLUTION_SECONDS)
    if token.last_used_at is not None and now - token.last_used_at < resolution:
        return
    # The conditional UPDATE keeps concurrent workers from all writing in the same minute.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - resolution)
    ).update(last_used_at=now)
    token.last_used_at = now


# The API module's account settings: Settings → API → Settings and Provisioning.


@transaction.atomic
def set_token_access(*, tenant: Tenant, actor: Actor, enabled: bool) -> Tenant:
    """Switch Token Access; with it off, every API token of the tenant is refused."""
    if enabled == tenant.has_token_access:
        return tenant
    tenant.token_access_enabled_at = timezone.now() if enabled else None
    tenant.save(update_fields=["token_access_enabled_at"])
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_ACCESS,
        target=tenant,
        changes={"token_access": [not enabled, enabled]},
    )
    return tenant


@transaction.atomic
def set_provisioning_role(*, tenant: Tenant, actor: Actor, role: str) -> Tenant:
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
        action=AuditAction.PROVISIONING_ROLE,
        target=tenant,
        changes={"provisioning_role": [tenant.provisioning_role, role]},
    )
    tenant.provisioning_role = role
    tenant.save(update_fields=["provisioning_role"])
    return tenant
