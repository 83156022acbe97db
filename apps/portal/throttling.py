"""Sign-in throttling with django-axes: the key failures count under, and the lockout page.

Both sign-in forms (/login/ and /admin/login/) are throttled, per account-and-userName
and per client address (AXES_LOCKOUT_PARAMETERS). The lockout lasts AXES_COOLOFF_TIME
from the failure that started it; attempts meanwhile are refused without being counted.
"""

import ipaddress
import math

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

from apps.audit.models import AuditAction, Channel
from apps.audit.services import record_event
from apps.tenants.models import Tenant
from apps.users.backends import sign_in_key
from apps.users.models import User


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the outermost of our proxies saw the client at.

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it was reached from to
    X-Forwarded-For, so that entry, counted from the right, is out of the client's reach;
    whatever the client itself sent is further left and ignored.
    """
    count = settings.TRUSTED_PROXY_COUNT
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if count and len(entries) >= count and entries[-count]:
        try:
            return str(ipaddress.ip_address(entries[-count]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def sign_in_key_of(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE: "<subdomain>/<userName>" on /login/, the userName on /admin/."""
    if credentials:
        subdomain, user_name = credentials.get("subdomain"), credentials.get("username")
    else:
        subdomain = request.POST.get("subdomain")
        user_name = request.POST.get("user_name") or request.POST.get("username")
    return sign_in_key(subdomain, user_name or "")


def locked_out(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the "too many attempts" page, and an audit row when a lock starts."""
    minutes = _minutes_left(request, credentials)
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures >= get_failure_limit(request, credentials):
        _record_lockout(request, credentials or {}, failures=failures, minutes=minutes)
    return render(request, "portal/locked_out.html", {"minutes": minutes}, status=429)


def _minutes_left(request, credentials) -> int:
    """Minutes until the longest of the locks this request hits runs out (at least 1)."""
    limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    ends = []
    for rows in (
        AccessAttempt.objects.filter(username=sign_in_key_of(request, credentials)),
        AccessAttempt.objects.filter(ip_address=request.axes_ip_address),
    ):
        totals = rows.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if totals["failures"] and totals["failures"] >= limit:
            ends.append(totals["last"] + cool_off)
    if not ends:
        return math.ceil(cool_off.total_seconds() / 60)
    return max(1, math.ceil((max(ends) - timezone.now()).total_seconds() / 60))


def _record_lockout(request, credentials, *, failures: int, minutes: int) -> None:
    subdomain, user_name = credentials.get("subdomain"), credentials.get("username") or ""
    tenant = Tenant.objects.filter(subdomain=subdomain).first() if subdomain else None
    if subdomain and tenant is None:
        return  # No such account: nobody's trail to write to; axes keeps the attempt.
    user = User.objects.filter(tenant=tenant, user_name__iexact=user_name.strip()).first()
    target = user or tenant
    if target is None:
        return
    record_event(
        tenant=tenant,
        actor=None,
        action=AuditAction.SIGN_IN_LOCKED if user else AuditAction.ACCOUNT_SIGN_IN_LOCKED,
        target=target,
        channel=Channel.ADMIN if request.path.startswith("/admin/") else Channel.UI,
        actor_label=f"sign-in from {request.axes_ip_address}",
        changes={
            "user_name": user_name,
            "ip_address": request.axes_ip_address,
            "failures": failures,
            "locked_for_minutes": minutes,
        },
    )
