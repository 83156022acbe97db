"""What needs an admin's attention, for the settings home: each check is a short query over
the account's tokens and SCIM request log (single sign-on's are in apps/sso/templatetags,
since the portal does not import sso)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.urls import reverse

from apps.audit import tokenless
from apps.audit.models import ScimRequest
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken

# Entra runs an incremental cycle about every 40 minutes; more than two cycles without a
# request, after it had been syncing, is the first sign that its job is quarantined or off.
ENTRA_CYCLE = timedelta(minutes=40)
QUIET_AFTER = 2 * ENTRA_CYCLE
REFUSALS_SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class Attention:
    """One thing to look at: a sentence, and the page where it is dealt with."""

    text: str
    url: str
    link_text: str


def attention(tenant: Tenant, *, now: datetime, tenant_url: str) -> list[Attention]:
    """Everything on the settings home's "What needs attention", most urgent first.

    Expiring tokens are not here: the page includes tokens/_expiry_notice.html for them.
    """
    items = [
        _entra_gone_quiet(tenant, now),
        _refusals(tenant, now),
        _tenant_url_not_https(tenant_url),
    ]
    return [item for item in items if item is not None] + _never_used_tokens(tenant)


def _provisioning() -> str:
    return reverse("tokens:provisioning")


def _entra_gone_quiet(tenant: Tenant, now: datetime) -> Attention | None:
    """No SCIM request for more than QUIET_AFTER, while one had been accepted before."""
    requests = ScimRequest.objects.filter(tenant=tenant).order_by("-id")
    last = requests.values_list("created_at", flat=True).first()
    if last is None or now - last <= QUIET_AFTER:
        return None
    if not requests.filter(token__isnull=False, refusal="").exists():
        return None  # it never synced: nothing has gone quiet
    hours = int((now - last).total_seconds() // 3600)
    since = f"{hours} hour{'s' if hours != 1 else ''}" if hours else "over an hour"
    return Attention(
        text=f"Microsoft Entra ID has sent no request since {last:%Y-%m-%d %H:%M} UTC "
        f"({since} ago), though it syncs about every {ENTRA_CYCLE.seconds // 60} minutes: its "
        "provisioning job may be quarantined or stopped. Check its Provisioning logs in "
        "the Entra admin center.",
        url=_provisioning(),
        link_text="Open the Provisioning tab",
    )


def _refusals(tenant: Tenant, now: datetime) -> Attention | None:
    refused = (
        ScimRequest.objects.filter(tenant=tenant, created_at__gte=now - REFUSALS_SPAN)
        .filter(~Q(refusal="") | Q(status__in=(401, 403, 429)))
        .count()
    )
    without_token = tokenless.requests_without_token(tenant.pk) or 0
    if not refused and not without_token:
        return None
    parts = []
    if refused:
        parts.append(
            f"{refused} SCIM request{'s' if refused != 1 else ''} with this account’s tokens"
        )
    if without_token:
        parts.append(f"{without_token} without a valid token")
    return Attention(
        text=f"{' and '.join(parts)} {'was' if refused + without_token == 1 else 'were'} "
        "refused in the last 24 hours.",
        url=_provisioning(),
        link_text="See why on the Provisioning tab",
    )


def _tenant_url_not_https(tenant_url: str) -> Attention | None:
    if tenant_url.startswith("https://"):
        return None
    return Attention(
        text=f"The Tenant URL is {tenant_url}, not https: Microsoft Entra ID only provisions "
        "to https addresses. Serve the site over https (a proxy in front of it must send "
        "X-Forwarded-Proto: https).",
        url=_provisioning(),
        link_text="Open the Provisioning tab",
    )


def _never_used_tokens(tenant: Tenant) -> list[Attention]:
    """One item naming the active tokens never used (a replaced one is on its way out)."""
    tokens = list(
        ApiToken.objects.for_tenant(tenant)
        .active()
        .not_replaced()
        .filter(last_used_at__isnull=True)
        .order_by("saved_at")
    )
    if not tokens:
        return []
    names = ", ".join(f"“{token.description}” ({token.truncated})" for token in tokens)
    one = len(tokens) == 1
    return [
        Attention(
            text=f"{'An API token has' if one else f'{len(tokens)} API tokens have'} never been "
            f"used: {names}. Paste {'it' if one else 'the one for Entra'} into Entra as the "
            f"Secret Token, or revoke {'it' if one else 'those'} if nothing needs "
            f"{'it' if one else 'them'}.",
            url=reverse("tokens:list"),
            link_text="Open the tokens",
        )
    ]
