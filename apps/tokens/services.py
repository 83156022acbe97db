"""API tokens and the API module's account settings (Token Access, provisioning role)."""

from __future__ import annotations

from datetime import datetime, timedelta
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
from apps.tenants.access import access_changed
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.tokens.secrets import DISPLAY_PREFIX_LENGTH, digest_of, new_secret

if TYPE_CHECKING:
    from apps.audit.services import Actor
    from apps.users.models import User

# The roles a user that Entra creates without any role may get (Provisioning tab).
PROVISIONING_ROLES = (BuiltinRole.AGENT, BuiltinRole.END_USER)


def get_token_for(tenant: Tenant, token_id: UUID | str) -> ApiToken:
    """A saved token of the tenant (active or not), else 404 (unsaved ones too)."""
    return ApiToken.objects.filter(saved_at__isnull=False).get_for(tenant, token_id)


def get_generated_token_for(tenant: Tenant, token_id: UUID | str) -> ApiToken:
    """Any token of the tenant, saved or not, for the Save and Discard steps; else 404."""
    return ApiToken.objects.get_for(tenant, token_id)


# A generated token that is not saved within this time is discarded (it never worked).
UNSAVED_TOKEN_LIFETIME = timedelta(hours=1)


def clean_description(description: str | None) -> str:
    """The description with runs of whitespace collapsed; ValidationError if empty or long."""
    description = " ".join((description or "").split())
    if not description:
        raise ValidationError("Enter a description for the token.", code="required")
    if len(description) > 100:
        raise ValidationError("The description is at most 100 characters.", code="invalid")
    return description


def _insert_token(
    *,
    tenant: Tenant,
    created_by: User | None,
    description: str,
    saved_at: datetime | None,
    nonce: str | None,
) -> tuple[ApiToken, str]:
    secret = new_secret()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                tenant=tenant,
                description=description,
                prefix=secret[:DISPLAY_PREFIX_LENGTH],
                last_four=secret[-4:],
                digest=digest_of(secret),
                created_by=created_by,
                # Kept as text too: the name stays after the user is deleted.
                created_by_name=created_by.user_name if created_by is not None else "",
                saved_at=saved_at,
                creation_nonce=nonce or None,
            )
    except IntegrityError as error:
        if nonce and ApiToken.objects.filter(creation_nonce=nonce).exists():
            raise ValidationError(
                "This form was already submitted; its token was created once.", code="duplicate"
            ) from error
        raise
    return token, secret


def _record_created(*, tenant: Tenant, actor: Actor, token: ApiToken) -> None:
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_CREATED,
        target=token,
        changes={"description": [None, token.description], "truncated": [None, token.truncated]},
    )


@transaction.atomic
def create_token(
    *,
    tenant: Tenant,
    actor: Actor,
    description: str,
    created_by: User | None = None,
    nonce: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a usable token in one step (commands, tests); return it with its secret.

    A second call with the same nonce creates nothing and raises
    ValidationError(code="duplicate").
    """
    token, secret = _insert_token(
        tenant=tenant,
        created_by=created_by if created_by is not None else _user_or_none(actor),
        description=clean_description(description),
        saved_at=timezone.now(),
        nonce=nonce,
    )
    _record_created(tenant=tenant, actor=actor, token=token)
    return token, secret


@transaction.atomic
def generate_token(*, tenant: Tenant, actor: Actor, nonce: str) -> tuple[ApiToken, str]:
    """Generate a token to show once, as "Add API token" does; it works only once saved.

    The same nonce twice creates nothing the second time and raises
    ValidationError(code="duplicate"). Unsaved tokens past UNSAVED_TOKEN_LIFETIME are
    deleted here: they never worked, so the audit trail loses nothing.
    """
    ApiToken.objects.for_tenant(tenant).unsaved().filter(
        created_at__lt=timezone.now() - UNSAVED_TOKEN_LIFETIME
    ).delete()
    return _insert_token(
        tenant=tenant,
        created_by=_user_or_none(actor),
        description="",
        saved_at=None,
        nonce=nonce,
    )


@transaction.atomic
def save_token(*, tenant: Tenant, actor: Actor, token: ApiToken, description: str) -> ApiToken:
    """Give a generated token its description; from now on it is accepted.

    ValidationError code "saved" if it was saved already (a second Save), "expired" if it
    was generated more than UNSAVED_TOKEN_LIFETIME ago.
    """
    if token.tenant_id != tenant.pk:
        raise Http404("No API token with this id.")
    description = clean_description(description)
    if not token.is_saved and token.created_at < timezone.now() - UNSAVED_TOKEN_LIFETIME:
        raise ValidationError(
            "This token was not saved within an hour of being generated, so it was "
            "discarded. Add a new API token.",
            code="expired",
        )
    now = timezone.now()
    # The conditional UPDATE lets exactly one of two simultaneous Saves win.
    updated = ApiToken.objects.filter(pk=token.pk, saved_at__isnull=True).update(
        description=description, saved_at=now
    )
    if not updated:
        raise ValidationError("This token was already saved.", code="saved")
    token.description, token.saved_at = description, now
    access_changed(tenant.pk)  # a process that cached the unsaved token reloads it
    _record_created(tenant=tenant, actor=actor, token=token)
    return token


@transaction.atomic
def discard_token(*, tenant: Tenant, token: ApiToken) -> bool:
    """Delete a generated token that was never saved; True if it was deleted."""
    if token.tenant_id != tenant.pk:
        raise Http404("No API token with this id.")
    deleted, _ = ApiToken.objects.filter(pk=token.pk, saved_at__isnull=True).delete()
    return bool(deleted)


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
    access_changed(tenant.pk)
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
    access_changed(tenant.pk)
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_ACCESS,
        target=tenant,
        changes={"token_access": [not enabled, enabled]},
    )
    return tenant


@transaction.atomic
def set_scim_admin_grants(*, tenant: Tenant, actor: Actor, enabled: bool) -> Tenant:
    """Whether SCIM (Entra ID) may make users admins of the account; off by default."""
    if enabled == tenant.scim_may_grant_admin:
        return tenant
    tenant.scim_admin_grants_enabled_at = timezone.now() if enabled else None
    tenant.save(update_fields=["scim_admin_grants_enabled_at"])
    # Processes that cached a token hold its tenant, switch included: they reload it.
    access_changed(tenant.pk)
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.SCIM_ADMIN_GRANTS,
        target=tenant,
        changes={"scim_may_grant_admin": [not enabled, enabled]},
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
    access_changed(tenant.pk)  # processes that cached the tenant with its token reload it
    return tenant
