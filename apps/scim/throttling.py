"""SCIM rate limits, counted in Django's cache (Redis in production) so every worker agrees.

Two limits: requests per API token (never per client address alone: Entra sends every
tenant's traffic from the same shared addresses), and failed authentications per client
address. Counts are sliding windows built from two fixed-window counters, updated with
the cache's atomic `incr`. With the cache unreachable a request is allowed and a warning
logged: an outage of the rate limiter must not become an outage of provisioning.
"""

from __future__ import annotations

import abc
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from apps.scim.reserved_counts import ReservedCounts
from apps.tenants.rates import parse_rate

logger = logging.getLogger(__name__)

# With the cache down every request would log; one warning per interval per process is enough.
WARNING_INTERVAL_SECONDS = 10.0
_last_warning_at = 0.0
# Requests this process has already counted in Redis and not used yet.
RESERVED = ReservedCounts()


@dataclass(frozen=True)
class WindowCount:
    """One request counted: the window's counter key, the counts read back (this window's,
    with the request, and the previous one's) and how far this window is."""

    current_key: str
    current: int
    previous: int
    elapsed: float


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
            return self._allows(self.count(identity))
        except RedisError as error:
            _warn_cache_unavailable(error)
            return True

    def wait(self) -> float:
        return self._wait

    def count(self, identity: str) -> WindowCount:
        """Count one more request for `identity`: from this process's reservation in the
        window, else one round trip to the cache (apps/scim/reserved_counts.py)."""
        now = self.timer()
        window = int(now // self.rate.seconds)
        base = f"throttle:{self.scope}:{identity}"
        current_key, previous_key = f"{base}:{window}", f"{base}:{window - 1}"
        elapsed = (now - window * self.rate.seconds) / self.rate.seconds
        current, previous = RESERVED.count(
            # The cache's full key: another key prefix (another test, another site) is
            # another counter.
            cache.make_key(current_key),
            limit=self.rate.requests,
            # Two windows' lifetime: the current one is read as "previous" during the next.
            add=lambda n: _window_count(current_key, previous_key, 2 * self.rate.seconds, n),
            give_back=lambda n: cache.decr(current_key, n),
            fits=lambda count, previous: self._fits(previous, count, elapsed),
        )
        return WindowCount(current_key, current, previous, elapsed)

    def _fits(self, previous: int, current: int, elapsed: float) -> bool:
        return previous * (1 - elapsed) + current <= self.rate.requests

    def _allows(self, counted: WindowCount) -> bool:
        current, previous, elapsed = counted.current, counted.previous, counted.elapsed
        if self._fits(previous, current, elapsed):
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


def _window_count(key: str, previous_key: str, timeout: int, amount: int) -> tuple[int, int]:
    """Add `amount` to the counter `key` and read `previous_key`: one round trip on Redis
    (commbox_site.cache.RedisCache), the cache's add, incr and get elsewhere."""
    window_count = getattr(cache, "window_count", None)
    if window_count is not None:
        return window_count(key, previous_key, timeout, amount)
    cache.add(key, 0, timeout=timeout)
    try:
        current = cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.add(key, amount, timeout=timeout)
        current = amount
    return current, cache.get(previous_key) or 0


class TokenRateThrottle(SlidingWindowThrottle):
    """Requests per API token (so per tenant connection), whatever address they come from.

    DRF throttles after it authenticates, so only requests whose token was accepted count.
    """

    setting = "SCIM_RATE_LIMIT_PER_TOKEN"
    scope = "token"

    def get_identity(self, request) -> str | None:
        token = request.auth
        return str(token.pk) if token is not None else None


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
