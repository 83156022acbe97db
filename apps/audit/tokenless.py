"""SCIM requests to an account's address that carry no valid token: counted, never stored.

Such a request names no token of the account (none sent, malformed, unknown), so anyone can
send it, with any path; a row per request would let them fill the account's Provisioning
log. The account sees how many arrived instead: a counter per account and hour in the shared
cache, summed over the last day. Refused requests with one of the account's tokens
(revoked, expired, Token Access off ...) keep their rows: they name a real token.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600
WINDOWS_SHOWN = 24


def _key(tenant_id: int, window: int) -> str:
    return f"scim:tokenless:{tenant_id}:{window}"


def count_request_without_token(tenant_id: int) -> None:
    """One more request without a valid token to this account's address."""
    key = _key(tenant_id, int(time.time() // WINDOW_SECONDS))
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS * (WINDOWS_SHOWN + 1))
        cache.incr(key)
    except (RedisError, ValueError) as error:
        # Best effort, as the request log is; ValueError: the key expired meanwhile.
        logger.warning("A SCIM request without a valid token was not counted: %s", error)


def requests_without_token(tenant_id: int) -> int | None:
    """How many arrived in the last day (whole hours); None when the cache cannot say."""
    window = int(time.time() // WINDOW_SECONDS)
    keys = [_key(tenant_id, window - n) for n in range(WINDOWS_SHOWN)]
    try:
        return sum(cache.get_many(keys).values())
    except RedisError:
        return None
