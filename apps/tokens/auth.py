"""Who is calling the API: a token from the Authorization header, checked in one place."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from apps.audit.models import Refusal
from apps.tenants.access import UNKNOWN, access_version
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tokens.models import ApiToken
from apps.tokens.secrets import digest_of, is_well_formed
from apps.tokens.services import touch_last_used
from apps.users.services import find_user_by_name


class TokenRejected(Exception):
    """The request's credentials are refused; the message says why, never echoing a secret.

    `refusal` is the reason's code and `token` the token row the secret matched, if any,
    so the refused request can be shown to the account it belongs to.
    """

    def __init__(self, message: str, *, refusal: str, token: ApiToken | None = None):
        super().__init__(message)
        self.refusal = refusal
        self.token = token


def credentials_from_header(header: str) -> tuple[str, str | None]:
    """(secret, admin userName or None) from a Bearer or Zendesk-style Basic header."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value, None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise TokenRejected(
                "The Basic credentials are not valid base64.", refusal=Refusal.MALFORMED
            ) from error
        user, _, password = decoded.partition(":")
        # "<userName>/token" with the token as password, as Zendesk-style connectors send.
        user_name, slash, kind = user.rpartition("/")
        if not slash or kind != "token" or not user_name or not password:
            raise TokenRejected(
                'Basic credentials must be "<admin userName>/token" with the API token '
                "as password.",
                refusal=Refusal.MALFORMED,
            )
        return password, user_name
    raise TokenRejected(
        "Send the API token as 'Authorization: Bearer <token>'.", refusal=Refusal.MALFORMED
    )


# Tokens this process has checked, by digest: (token with its tenant, access version, loaded).
_cached_tokens: dict[str, tuple[ApiToken, object, float]] = {}
# The tenant and token id of every digest seen: a token never changes either, and knowing
# them lets the version be read before the token is loaded, so a change committed meanwhile
# is not missed.
_ids_of_digest: dict[str, tuple[int, int]] = {}

VersionReader = Callable[[int, int], object]
"""(tenant id, token id) -> the tenant's access version (access_version). The SCIM layer
passes one that also counts the request against the token in the same cache round trip."""


def read_access_version(tenant_id: int, token_id: int) -> object:
    return access_version(tenant_id)


def _load_token(digest: str) -> ApiToken | None:
    return next(iter(ApiToken.objects.select_related("tenant").filter(digest=digest)[:1]), None)


def _check_database() -> None:
    """A database outage is answered (503) before anything else, cached token or not.

    Without it a request with a cached token would reach the rate limiter, which counts it,
    before the outage shows: a client retrying fast would be throttled once the database is
    back. It is Django's own health check (CONN_HEALTH_CHECKS), a SELECT 1 that the request's
    first query would otherwise run: run here, it is the request's only one. A connection
    broken by a restart is replaced; with the database still down the new connection fails
    with OperationalError, which answers 503.
    """
    connection.close_if_health_check_failed()
    connection.ensure_connection()


def find_token(digest: str, read_version: VersionReader = read_access_version) -> ApiToken | None:
    """The token with this digest, with its tenant, from this process's cache when current.

    A cached token is used only while the tenant's access version in the shared cache is the
    one seen when it was loaded (services change it on revoke and Token Access), and for at
    most TOKEN_CACHE_SECONDS; revocation is refused on the next request in every process.
    """
    lifetime = settings.TOKEN_CACHE_SECONDS
    ids = _ids_of_digest.get(digest) if lifetime > 0 else None
    if ids is None:
        token = _load_token(digest)
        if token is not None and lifetime > 0:
            _ids_of_digest[digest] = (token.tenant_id, token.pk)
        return token
    # Before the version: read_version may count the request, and an outage must not.
    _check_database()
    version = read_version(*ids)
    cached = _cached_tokens.get(digest)
    now = time.monotonic()
    if cached is not None and cached[1] == version and now - cached[2] < lifetime:
        return cached[0]
    token = _load_token(digest)
    if token is None:
        _cached_tokens.pop(digest, None)
        _ids_of_digest.pop(digest, None)
    elif version is not UNKNOWN:
        _cached_tokens[digest] = (token, version, now)
    return token


def authenticate_token(
    *, header: str, host: str, read_version: VersionReader = read_access_version
) -> ApiToken:
    """The active token the header names, or TokenRejected saying why not."""
    secret, admin_user_name = credentials_from_header(header)
    if not is_well_formed(secret):
        # The full token is shown only once, so there is nothing to copy again.
        raise TokenRejected(
            "The API token is malformed: it is not the whole token (check that nothing was "
            "cut off when it was pasted). If it is lost, add a new one in Settings → API.",
            refusal=Refusal.MALFORMED,
        )
    digest = digest_of(secret)
    token = find_token(digest, read_version)
    if token is None or not hmac.compare_digest(token.digest, digest):
        raise TokenRejected("The API token is not recognised.", refusal=Refusal.UNKNOWN)
    if not token.is_saved:
        raise TokenRejected(
            "The API token was never saved, so it does not work; add a new one and press Save.",
            refusal=Refusal.UNSAVED,
            token=token,
        )
    if token.is_revoked:
        raise TokenRejected("The API token has been revoked.", refusal=Refusal.REVOKED, token=token)
    if token.is_expired:
        raise TokenRejected("The API token has expired.", refusal=Refusal.EXPIRED, token=token)
    if not token.tenant.has_token_access:
        raise TokenRejected(
            "Token Access is switched off for this account; an admin can switch it on "
            "in Settings → API → Settings.",
            refusal=Refusal.TOKEN_ACCESS_OFF,
            token=token,
        )
    host_subdomain = tenant_subdomain_of_host(host)
    if host_subdomain is not None and host_subdomain != token.tenant.subdomain:
        raise TokenRejected(
            "The API token does not belong to this account's domain.",
            refusal=Refusal.WRONG_DOMAIN,
            token=token,
        )
    if admin_user_name is not None:
        user = find_user_by_name(token.tenant, admin_user_name)
        if user is None or not user.is_tenant_admin:
            raise TokenRejected(
                f'"{admin_user_name}" is not an active admin of the account that owns this token.',
                refusal=Refusal.NOT_ADMIN,
                token=token,
            )
    touch_last_used(token)
    return token
