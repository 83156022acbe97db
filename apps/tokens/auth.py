"""Who is calling the API: a token from the Authorization header, checked in one place."""

from __future__ import annotations

import base64
import binascii
import hmac

from django.db import connection

from apps.audit.models import Refusal
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tokens.cache import TokenCache
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


# The tokens this process has checked (bounded; invalidated by the tenant's access version).
token_cache = TokenCache()


def _load_token(digest: str) -> ApiToken | None:
    return next(iter(ApiToken.objects.select_related("tenant").filter(digest=digest)[:1]), None)


def _check_database() -> None:
    """A database outage is answered (503) before the request is let through, cached token
    or not.

    Without it a request with a cached token would pass authentication without a query and
    reach the rate limiter, which counts it, before the outage shows: a client retrying fast
    would be throttled once the database is back. It is Django's own health check
    (CONN_HEALTH_CHECKS), a SELECT 1 that the request's first query would otherwise run;
    after a query it costs nothing. A connection broken by a restart is replaced; with the
    database still down the new connection fails with OperationalError, which answers 503.
    """
    connection.close_if_health_check_failed()
    connection.ensure_connection()


def authenticate_token(*, header: str, host: str) -> ApiToken:
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
    token = token_cache.find(digest, _load_token)
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
        raise TokenRejected(
            f"The API token expired at {token.expires_at:%Y-%m-%d %H:%M} UTC; an admin can add "
            "a new one in Settings → Modules → API.",
            refusal=Refusal.EXPIRED,
            token=token,
        )
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
        _check_admin(token, admin_user_name)
    _check_database()
    touch_last_used(token)
    return token


def _check_admin(token: ApiToken, admin_user_name: str) -> None:
    """Basic credentials name a user: an active admin of the token's account, or refused."""
    user = find_user_by_name(token.tenant, admin_user_name)
    if user is None or not user.is_tenant_admin:
        raise TokenRejected(
            f'"{admin_user_name}" is not an active admin of the account that owns this token.',
            refusal=Refusal.NOT_ADMIN,
            token=token,
        )
