from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.audit.services import record_event
from apps.tokens.models import ApiToken
from apps.tokens.secrets import DISPLAY_PREFIX_LENGTH, digest_of, new_secret


def get_token_for(tenant, token_id) -> ApiToken:
    return get_object_or_404(ApiToken.objects.for_tenant(tenant), public_id=token_id)


@transaction.atomic
def create_token(
    *, tenant, actor, description: str, created_by=None, nonce: str | None = None
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
        action="token.created",
        target=token,
        changes={"description": [None, description], "truncated": [None, token.truncated]},
    )
    return token, secret


def _user_or_none(actor):
    return actor if actor is not None and actor._meta.model_name == "user" else None


@transaction.atomic
def revoke_token(*, tenant, actor, token: ApiToken) -> ApiToken:
    if token.tenant_id != tenant.pk:
        raise ValidationError("This token belongs to another account.", code="invalid")
    if token.is_revoked:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        tenant=tenant,
        actor=actor,
        action="token.revoked",
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
