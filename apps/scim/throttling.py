"""SCIM rate limits, counted in Django's cache (Redis in production) so every worker agrees.

Two limits: requests per API token (never per client address alone: Entra sends every
tenant's traffic from the same shared addresses), and failed authentications per client
address. Counts are sliding windows built from two fixed-window counters, updated with
the cache's atomic `incr`. With the cache unreachable a request is allowed and a warning
logged: an outage of the rate limiter must not become an outage of provisioning.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from apps.tenants.access import UNKNOWN, version_key
from apps.tokens.auth import VersionReader

logger = logging.getLogger(__name__)

RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# With the cache down every request would log; one warning per interval per process is enough.
WARNING_INTERVAL_SECONDS = 10.0
_last_warning_at = 0.0
# Where a request counted while its token was authenticated keeps that count.
COUNTED_ATTRIBUTE = "token_window_count"


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


@dataclass(frozen=True)
class WindowCount:
    """One request counted for `identity`: the window's counter key, the counts read back
    (this window's, with the request, and the previous one's) and how far this window is."""

    identity: str
    current_key: str
    current: int
    previous: int
    elapsed: float


def parse_rate(text: str) -> Rate:
    """ "3000/m", "50/s", "600/10s" -> Rate; a malformed rate is a configuration error."""
    match = RATE_PATTERN.match(text or "")
    if not match or int(match[1]) < 1:
        raise ValueError(f'A rate limit looks like "3000/m" or "600/10s", not {text!r}.')
    multiplier = int(match[2]) if match[2] else 1
    return Rate(requests=int(match[1]), seconds=multiplier * UNIT_SECONDS[match[3].lower()])


def _warn_cache_unavailable(error: Exception) -> None:
    global _last_warning_at
    now = time.monotonic()
    if now - _last_warning_at >= WARNING_INTERVAL_SECONDS:
        _last_warning_at = now
        logger.warning("Rate limiting is off (failing open): the cache is unreachable: %s", error)


class SlidingWindowThrottle(BaseThrottle, abc.ABC):
    """Allows `rate.requests` per `rate.seconds` per identity, across every process.

    Subclasses name the setting holding the rate and say who is counted (`get_identity`).
    """

    setting: str = ""
    scope: str = ""
    timer = staticmethod(time.time)

    def __init__(self):
        self.rate = parse_rate(getattr(settings, self.setting))
        self._wait = 0.0

    @abc.abstractmethod
    def get_identity(self, request) -> str | None:
        """Who is counted; None: nobody, the request is not limited here."""

    def allow_request(self, request, view) -> bool:
        identity = self.get_identity(request)
        if identity is None:
            return True
        try:
            counted = self.counted_earlier(request, identity) or self.count(identity)[0]
            return self._allows(counted)
        except RedisError as error:
            _warn_cache_unavailable(error)
            return True

    def wait(self) -> float:
        return self._wait

    def counted_earlier(self, request, identity: str) -> WindowCount | None:
        """This request's count if it was made before the throttle ran; None: count it now."""
        return None

    def count(self, identity: str, read_key: str | None = None) -> tuple[WindowCount, Any]:
        """Count one more request for `identity`, and read `read_key` in the same round trip."""
        now = self.timer()
        window = int(now // self.rate.seconds)
        base = f"throttle:{self.scope}:{identity}"
        current_key = f"{base}:{window}"
        # Two windows' lifetime: the current one is read as "previous" during the next.
        current, previous, read = _window_count(
            current_key, f"{base}:{window - 1}", 2 * self.rate.seconds, read_key
        )
        elapsed = (now - window * self.rate.seconds) / self.rate.seconds
        return WindowCount(identity, current_key, current, previous, elapsed), read

    def _allows(self, counted: WindowCount) -> bool:
        current, previous, elapsed = counted.current, counted.previous, counted.elapsed
        if previous * (1 - elapsed) + current <= self.rate.requests:
            return True
        # A refused request is not counted, so a client over the limit still gets its
        # allowance as the window slides instead of being shut out for good.
        cache.decr(counted.current_key)
        self._wait = self._seconds_until_allowed(previous, current - 1, elapsed)
        return False

    def _seconds_until_allowed(self, previous: int, current: int, elapsed: float) -> float:
        """When previous * (1 - elapsed') + current + 1 <= limit, in seconds from now."""
        limit, window = self.rate.requests, self.rate.seconds
        room = limit - 1 - current
        if room >= 0:
            # Room in this window: wait for the previous window's share to decay enough.
            return max(0.0, (1 - room / previous - elapsed) * window) if previous else 0.0
        # This window is full: it must become the previous window and decay in its turn.
        return (1 - elapsed) * window + (1 - (limit - 1) / current) * window


def _window_count(
    key: str, previous_key: str, timeout: int, read_key: str | None
) -> tuple[int, int, Any]:
    """Count one more request in `key`, read `previous_key` and `read_key`: one round trip
    on Redis (commbox_site.cache.RedisCache), the cache's add, incr and get elsewhere."""
    window_count = getattr(cache, "window_count", None)
    if window_count is not None:
        return window_count(key, previous_key, timeout, read_key)
    cache.add(key, 0, timeout=timeout)
    try:
        current = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        current = 1
    read = cache.get(read_key) if read_key is not None else None
    return current, cache.get(previous_key) or 0, read


class TokenRateThrottle(SlidingWindowThrottle):
    """Requests per API token (so per tenant connection), whatever address they come from.

    The request is usually counted while its token is authenticated, in the round trip that
    reads the tenant's access version (counting_version_reader); the throttle then decides
    on that count instead of making a round trip of its own.
    """

    setting = "SCIM_RATE_LIMIT_PER_TOKEN"
    scope = "token"

    def get_identity(self, request) -> str | None:
        token = request.auth
        return str(token.pk) if token is not None else None

    def counted_earlier(self, request, identity: str) -> WindowCount | None:
        counted = getattr(request, COUNTED_ATTRIBUTE, None)
        return counted if counted is not None and counted.identity == identity else None


def counting_version_reader(request) -> VersionReader:
    """A version reader for authenticate_token that counts the request against the token in
    the same round trip, and leaves the count on the request for TokenRateThrottle.

    With the cache unreachable the version is UNKNOWN (the token is read from the database)
    and nothing is counted: the throttle tries again itself, and fails open.
    """

    def read(tenant_id: int, token_id: int) -> object:
        try:
            counted, version = TokenRateThrottle().count(str(token_id), version_key(tenant_id))
        except RedisError:
            return UNKNOWN
        setattr(request, COUNTED_ATTRIBUTE, counted)
        return version

    return read


def take_back_count(request) -> None:
    """Uncount a request counted while authenticating a token that was then refused (revoked,
    Token Access off...): only served requests use up the token's allowance."""
    counted = getattr(request, COUNTED_ATTRIBUTE, None)
    if counted is None:
        return
    setattr(request, COUNTED_ATTRIBUTE, None)
    # Unreachable, or the window expired meanwhile: nothing to take back.
    with contextlib.suppress(RedisError, ValueError):
        cache.decr(counted.current_key)


class FailedAuthenticationThrottle(SlidingWindowThrottle):
    """Failed authentications per client address (X-Forwarded-For only behind trusted proxies)."""

    setting = "SCIM_RATE_LIMIT_FAILED_AUTH"
    scope = "failed-auth"

    def get_identity(self, request) -> str | None:
        # DRF's get_ident honours X-Forwarded-For only as far as NUM_PROXIES (our
        # TRUSTED_PROXY_COUNT) trusts it; with 0 it is the socket's address.
        return self.get_ident(request) or None


class RateLimited(exceptions.Throttled):
    default_detail = "Too many requests with this API token."
    extra_detail_singular = extra_detail_plural = "Retry after {wait} seconds."


class ScimThrottling(APIView):
    """The SCIM views' base: the token limit for callers, the failed-auth limit for the rest.

    A refused authentication counts against the client's address; past the limit the
    address gets 429 instead of 401. A valid token is still served from that address:
    Entra's addresses are shared, so one tenant's revoked token must not stop another's.
    """

    throttle_classes: Sequence[type[BaseThrottle]] = [TokenRateThrottle]

    def throttled(self, request, wait):
        raise RateLimited(wait=wait)

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.AuthenticationFailed, exceptions.NotAuthenticated):
            throttle = FailedAuthenticationThrottle()
            if not throttle.allow_request(request, self):
                raise RateLimited(
                    wait=throttle.wait(),
                    detail="Too many failed authentications from this address.",
                ) from None
            raise


def retry_after(wait: float | None) -> str:
    """Whole seconds for a Retry-After header, never 0 (clients would retry at once)."""
    return str(max(1, math.ceil(wait or 0)))
