"""Django's RedisCache, plus the rate limiter's work on every request in one Redis round trip.

`window_count` runs on a redis-py client of its own (redis-py's public client and pipeline),
built once per cache object from the same server and options Django's cache uses; keys are
made by the cache's own make_and_validate_key, so the counters are the very entries
`cache.get` and `cache.decr` see (Django stores an integer as a plain Redis integer).
"""

from __future__ import annotations

import functools
import threading

import redis
from django.core.cache.backends import redis as django_redis

from commbox_site.pushed_reads import PushedReads, announce

# OPTIONS Django's RedisCacheClient consumes itself; the rest are redis-py connection options.
DJANGO_ONLY_OPTIONS = ("pool_class", "parser_class", "serializer")
_PUSHED_READS: dict[str, PushedReads] = {}
_PUSHED_READS_LOCK = threading.Lock()


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        servers = server.split(";") if isinstance(server, str) else list(server)
        # Django writes to the first server; the counter is a write.
        self.write_server = servers[0]
        options = params.get("OPTIONS", {})
        self.redis_options = {k: v for k, v in options.items() if k not in DJANGO_ONLY_OPTIONS}

    @functools.cached_property
    def counter_client(self) -> redis.Redis:
        """One client for window_count; Django's cache builds a new one for every call."""
        return redis.Redis.from_url(self.write_server, **self.redis_options)

    def get_text(self, key: str) -> bytes | None:
        """The bytes at `key`, as set_text stored them, for the value every SCIM request
        reads (a tenant's access version): kept in the process until set_text announces a
        change (commbox_site/pushed_reads.py); cache.get would build a client and unpickle."""
        return self.pushed_reads.get(self.counter_client, self.make_and_validate_key(key))

    def set_text(self, key: str, value: str) -> None:
        """Store `value` at `key` with no expiry, for get_text, and announce the change."""
        full_key = self.make_and_validate_key(key)
        announce(self.counter_client, full_key, value)
        # This process needs no message to know it (its listener may not have run yet).
        self.pushed_reads.forget(full_key)

    @functools.cached_property
    def pushed_reads(self) -> PushedReads:
        """One per Redis server and process, whatever the key prefix (each test has its own)."""
        with _PUSHED_READS_LOCK:
            reads = _PUSHED_READS.get(self.write_server)
            if reads is None:
                options = {**self.redis_options, "socket_timeout": None}
                reads = _PUSHED_READS[self.write_server] = PushedReads(
                    functools.partial(redis.Redis.from_url, self.write_server, **options)
                )
            return reads

    def window_count(
        self, key: str, previous_key: str, timeout: int, amount: int = 1
    ) -> tuple[int, int]:
        """Add `amount` to the counter `key` (created with `timeout` if new) and read
        `previous_key` in one round trip: the rate limiter's work (four calls through
        Django's cache API)."""
        current = self.make_and_validate_key(key)
        pipeline = self.counter_client.pipeline(transaction=True)
        pipeline.set(current, 0, ex=timeout, nx=True)
        pipeline.incrby(current, amount)
        pipeline.get(self.make_and_validate_key(previous_key))
        _, count, previous_count = pipeline.execute()
        return int(count), int(previous_count or 0)
