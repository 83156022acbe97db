"""API tokens and the API module's account settings (Token Access, provisioning role)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


DUPLICATE_FORM = "This form was already submitted; its token was created once."
# A generated token that is not saved within this time is discarded (it never worked).
UNSAVED_TOKEN_LIFETIME = timedelta(hours=1)


# The lifetimes "Add API token" offers, in days (besides "never" and a date).
EXPIRY_CHOICES_DAYS = (30, 90, 180, 365)
# The longest lifetime an account may require (Settings tab).
MAX_LIFETIME_CHOICES_DAYS = EXPIRY_CHOICES_DAYS
# From this long before a token expires, the settings home and the API tabs say so.
EXPIRY_WARNING = timedelta(days=14)
# How long a replaced token may keep working beside its replacement.
MAX_OVERLAP = timedelta(days=7)
DESCRIPTION_MAX_LENGTH = 100


def clean_description(
    description: str | None, *, tenant: Tenant | None = None, exclude: tuple[int, ...] = ()
) -> str:
    """The description with runs of whitespace collapsed; ValidationError if empty, long, or
    (given the tenant) the description of another of its tokens in use.

    In use means active and not replaced; `exclude` names the token being described and
    the one it replaces, which may keep the same description.
    """
    description = " ".join((description or "").split())
    if not description:
        raise ValidationError("Enter a description for the token.", code="required")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            f"The description is at most {DESCRIPTION_MAX_LENGTH} characters.", code="invalid"
        )
    if tenant is not None and descriptions_in_use(tenant, exclude=exclude).get(
        description.casefold()
    ):
        raise ValidationError(
            f"Another active token is described “{description}”; give this one a description "
            "of its own, so that the list tells them apart.",
            code="unique",
        )
    return description


def descriptions_in_use(tenant: Tenant, *, exclude: tuple[int, ...] = ()) -> dict[str, str]:
    """The descriptions of the tenant's active, not replaced tokens, by their casefold."""
    descriptions = (
        ApiToken.objects.for_tenant(tenant)
        .active()
        .not_replaced()
        .exclude(pk__in=exclude)
        .values_list("description", flat=True)
    )
    return {description.casefold(): description for description in descriptions}


def expiry_from(
    *, tenant: Tenant, days: int | None, on: date | None, now: datetime | None = None
) -> datetime | None:
    """When a token made now expires, given a number of days, a date (00:00 UTC that day)
    or neither (never); ValidationError if the date is not in the future or the account's
    maximum lifetime is exceeded."""
    now = now or timezone.now()
    if days is not None and on is not None:
        raise ValidationError("Choose a number of days or a date, not both.", code="invalid")
    if days is not None and days < 1:
        raise ValidationError("A token lasts at least one day.", code="invalid")
    expires_at = None
    if days is not None:
        expires_at = now + timedelta(days=days)
    elif on is not None:
        expires_at = datetime.combine(on, time.min, tzinfo=UTC)
        if expires_at <= now:
            raise ValidationError(
                f"{on:%Y-%m-%d} is not in the future; choose a later date.", code="invalid"
            )
    _check_max_lifetime(tenant, expires_at, now)
    return expires_at


def _check_max_lifetime(tenant: Tenant, expires_at: datetime | None, now: datetime) -> None:
    max_days = tenant.token_max_lifetime_days
    if max_days is None:
        return
    latest = now + timedelta(days=max_days)
    if expires_at is None or expires_at > latest:
        raise ValidationError(
            f"This account’s tokens expire within {max_days} days (Settings → API → "
            f"Settings); choose {max_days} days or less, or a date up to {latest:%Y-%m-%d}.",
            code="max_lifetime",
        )


def overlap_from(hours: int) -> timedelta:
    """How long a replaced token keeps working: 1 hour to MAX_OVERLAP."""
    overlap = timedelta(hours=hours)
    if not timedelta(hours=1) <= overlap <= MAX_OVERLAP:
        raise ValidationError(
            f"The old token keeps working for 1 hour to {MAX_OVERLAP.days} days.", code="invalid"
        )
    return overlap


def _insert_token(
    *,
    tenant: Tenant,
    created_by: User | None,
    description: str,
    saved_at: datetime | None,
    nonce: str | None,
    expires_at: datetime | None = None,
    replaces: ApiToken | None = None,
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
                expires_at=expires_at,
                replaces=replaces,
            )
    except IntegrityError as error:
        if nonce and ApiToken.objects.filter(creation_nonce=nonce).exists():
            raise ValidationError(DUPLICATE_FORM, code="duplicate") from error
        raise
    return token, secret


def _record_created(*, tenant: Tenant, actor: Actor, token: ApiToken) -> None:
    changes = {"description": [None, token.description], "truncated": [None, token.truncated]}
    if token.expires_at is not None:
        changes["expires_at"] = [None, token.expires_at.isoformat()]
    if token.replaces is not None:
        changes["replaces"] = [None, token.replaces.truncated]
    record_event(
        tenant=tenant, actor=actor, action=AuditAction.TOKEN_CREATED, target=token, changes=changes
    )


@transaction.atomic
def create_token(
    *,
    tenant: Tenant,
    actor: Actor,
    description: str,
    created_by: User | None = None,
    nonce: str | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a usable token in one step (commands, tests); return it with its secret.

    A second call with the same nonce creates nothing and raises
    ValidationError(code="duplicate").
    """
    if nonce and ApiToken.objects.filter(creation_nonce=nonce).exists():
        raise ValidationError(DUPLICATE_FORM, code="duplicate")
    token, secret = _insert_token(
        tenant=tenant,
        created_by=created_by if created_by is not None else _user_or_none(actor),
        description=clean_description(description, tenant=tenant),
        saved_at=timezone.now(),
        nonce=nonce,
        expires_at=expiry_from(tenant=tenant, days=expires_in_days, on=None),
    )
    _record_created(tenant=tenant, actor=actor, token=token)
    return token, secret


@transaction.atomic
def generate_token(
    *, tenant: Tenant, actor: Actor, nonce: str, replaces: ApiToken | None = None
) -> tuple[ApiToken, str]:
    """Generate a token to show once, as "Add API token" (or "Replace") does; it works only
    once saved.

    The same nonce twice creates nothing the second time and raises
    ValidationError(code="duplicate"). Unsaved tokens past UNSAVED_TOKEN_LIFETIME are
    deleted here: they never worked, so the audit trail loses nothing.
    """
    if replaces is not None:
        check_replaceable(tenant=tenant, token=replaces)
    ApiToken.objects.for_tenant(tenant).unsaved().filter(
        created_at__lt=timezone.now() - UNSAVED_TOKEN_LIFETIME
    ).delete()
    return _insert_token(
        tenant=tenant,
        created_by=_user_or_none(actor),
        description="",
        saved_at=None,
        nonce=nonce,
        replaces=replaces,
    )


def check_replaceable(*, tenant: Tenant, token: ApiToken) -> None:
    """ValidationError unless the token is the tenant's, active and not replaced already."""
    if token.tenant_id != tenant.pk:
        raise Http404("No API token with this id.")
    if not token.is_active:
        raise ValidationError(
            "Only an active token can be replaced; add a new one instead.", code="inactive"
        )
    if token.replacements.filter(saved_at__isnull=False).exists():
        raise ValidationError("This token was replaced already.", code="replaced")


@transaction.atomic
def save_token(
    *,
    tenant: Tenant,
    actor: Actor,
    token: ApiToken,
    description: str,
    expires_at: datetime | None = None,
    overlap: timedelta | None = None,
) -> ApiToken:
    """Give a generated token its description and expiry; from now on it is accepted.

    A replacement ends the token it replaces after `overlap` (at most MAX_OVERLAP).
    ValidationError code "saved" if it was saved already (a second Save), "expired" if it
    was generated more than UNSAVED_TOKEN_LIFETIME ago, "required", "invalid" or "unique"
    for the description, "max_lifetime" for the expiry.
    """
    if token.tenant_id != tenant.pk:
        raise Http404("No API token with this id.")
    exclude = tuple(pk for pk in (token.pk, token.replaces_id) if pk is not None)
    description = clean_description(description, tenant=tenant, exclude=exclude)
    now = timezone.now()
    _check_max_lifetime(tenant, expires_at, now)
    if not token.is_saved and token.created_at < now - UNSAVED_TOKEN_LIFETIME:
        raise ValidationError(
            "This token was not saved within an hour of being generated, so it was "
            "discarded. Add a new API token.",
            code="expired",
        )
    # The conditional UPDATE lets exactly one of two simultaneous Saves win.
    updated = ApiToken.objects.filter(pk=token.pk, saved_at__isnull=True).update(
        description=description, saved_at=now, expires_at=expires_at
    )
    if not updated:
        raise ValidationError("This token was already saved.", code="saved")
    token.description, token.saved_at, token.expires_at = description, now, expires_at
    access_changed(tenant.pk)  # a process that cached the unsaved token reloads it
    _record_created(tenant=tenant, actor=actor, token=token)
    if token.replaces_id is not None:
        # Read afresh and locked: the old token may have changed since "Replace" was pressed.
        old = ApiToken.objects.select_for_update().get(pk=token.replaces_id)
        _end_after_overlap(
            tenant=tenant, actor=actor, token=old, ends_at=now + (overlap or MAX_OVERLAP)
        )
        token.replaces = old
    return token


def _end_after_overlap(*, tenant: Tenant, actor: Actor, token: ApiToken, ends_at: datetime) -> None:
    """The replaced token works until ends_at (or its own earlier expiry), then is refused."""
    if token.is_revoked or (token.expires_at is not None and token.expires_at <= ends_at):
        return
    before = token.expires_at
    ApiToken.objects.filter(pk=token.pk).update(expires_at=ends_at)
    token.expires_at = ends_at
    access_changed(tenant.pk)  # a cached copy of the old row would miss the new end
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_UPDATED,
        target=token,
        changes={"expires_at": [before.isoformat() if before else None, ends_at.isoformat()]},
    )


@transaction.atomic
def describe_token(*, tenant: Tenant, actor: Actor, token: ApiToken, description: str) -> ApiToken:
    """Change a saved token's description (the same rules as when it was saved)."""
    if token.tenant_id != tenant.pk:
        raise Http404("No API token with this id.")
    exclude = tuple(pk for pk in (token.pk, token.replaces_id) if pk is not None)
    description = clean_description(description, tenant=tenant, exclude=exclude)
    if description == token.description:
        return token
    before = token.description
    token.description = description
    token.save(update_fields=["description"])
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_UPDATED,
        target=token,
        changes={"description": [before, description]},
    )
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
def set_token_max_lifetime(*, tenant: Tenant, actor: Actor, days: int | None) -> Tenant:
    """The longest lifetime new tokens of the account may get (None: no maximum).

    Tokens made before keep their expiry: a maximum applies when a token is added.
    """
    if days is not None and days not in MAX_LIFETIME_CHOICES_DAYS:
        raise ValidationError(
            f"The longest lifetime is one of {', '.join(map(str, MAX_LIFETIME_CHOICES_DAYS))} "
            "days, or no maximum.",
            code="invalid",
        )
    if days == tenant.token_max_lifetime_days:
        return tenant
    record_event(
        tenant=tenant,
        actor=actor,
        action=AuditAction.TOKEN_LIFETIME,
        target=tenant,
        changes={"token_max_lifetime_days": [tenant.token_max_lifetime_days, days]},
    )
    tenant.token_max_lifetime_days = days
    tenant.save(update_fields=["token_max_lifetime_days"])
    access_changed(tenant.pk)  # processes that cached the tenant with its token reload it
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
