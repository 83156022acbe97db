"""Which account and token a SCIM request is logged under (the Provisioning tab)."""

from __future__ import annotations

import time

from rest_framework import status

from apps.audit.models import Refusal
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tenants.models import Tenant


def refusal_of(response, *, token, rejection) -> str:
    """Why the request was refused before it reached the directory ("" if it was not)."""
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        return Refusal.THROTTLED
    if token is None:
        return rejection.refusal if rejection else Refusal.NO_TOKEN
    return ""


def request_log_fields(request, response, *, token, rejection, started_at) -> dict | None:
    """What the Provisioning tab keeps of one request, or None when no account can be named.

    A refused request is attributed to the token's account when the secret matched a token
    (revoked, Token Access off, another account's address ...), else to the account whose
    address was called; the secret itself is never kept. Never headers or bodies.
    """
    refusal = refusal_of(response, token=token, rejection=rejection)
    if token is None and rejection:
        token = rejection.token
    tenant_id = token.tenant_id if token is not None else _tenant_id_of_host(request.get_host())
    if tenant_id is None:
        return None
    detail = ""
    if response.status_code >= 400 and isinstance(response.data, dict):
        detail = str(response.data.get("detail", ""))
    return {
        "tenant_id": tenant_id,
        "token": token,
        "method": request.method,
        "path": request.get_full_path(),
        "status": response.status_code,
        "duration_ms": int((time.monotonic() - started_at) * 1000),
        "detail": detail,
        "refusal": refusal,
    }


def _tenant_id_of_host(host: str) -> int | None:
    subdomain = tenant_subdomain_of_host(host)
    if subdomain is None:
        return None
    return Tenant.objects.filter(subdomain=subdomain).values_list("id", flat=True).first()
