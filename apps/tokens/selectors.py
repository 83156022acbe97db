"""Reads about an account's tokens that several pages share: which expire soon (or just
did), and which one Entra used last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from apps.audit.models import ScimRequest
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.tokens.services import EXPIRY_WARNING


@dataclass(frozen=True)
class ExpiryNotice:
    """A token that expires within EXPIRY_WARNING, or expired less than that long ago."""

    token: ApiToken
    expires_at: datetime
    has_expired: bool


def expiry_notices(tenant: Tenant, *, now: datetime | None = None) -> list[ExpiryNotice]:
    """Saved, unrevoked, not replaced tokens whose expiry is within EXPIRY_WARNING of now,
    soonest first. A replaced token ends on purpose, so it is left out."""
    now = now or timezone.now()
    tokens = (
        ApiToken.objects.for_tenant(tenant)
        .filter(
            saved_at__isnull=False,
            revoked_at__isnull=True,
            expires_at__gt=now - EXPIRY_WARNING,
            expires_at__lte=now + EXPIRY_WARNING,
        )
        .not_replaced()
        .order_by("expires_at", "id")
    )
    return [
        ExpiryNotice(token=token, expires_at=expires_at, has_expired=expires_at <= now)
        for token in tokens
        if (expires_at := token.expires_at) is not None
    ]


def last_used_by_entra(tenant: Tenant) -> int | None:
    """The id of the token that the account's latest accepted SCIM request sent, if any."""
    return (
        ScimRequest.objects.filter(tenant=tenant, token__isnull=False, refusal="")
        .order_by("-id")
        .values_list("token_id", flat=True)
        .first()
    )
