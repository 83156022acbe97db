"""Django's RedisCache, plus the rate limiter's work on every request in one Redis round trip.

`window_count` runs on a redis-py client of its own (redis-py's public client and pipeline),
built once per cache object from the same server and options Django's cache uses; keys are
made by the cache's own make_and_validate_key and the value it reads back is decoded by
Django's RedisSerializer, so the counters and the access version are the very entries
`cache.get`, `cache.set` and `cache.decr` see.
"""

from __future__ import annotations

import functools
from typing import Any

import redis
from django.core.cache.backends import redis as django_redis

# OPTIONS Django's RedisCacheClient consumes itself; the rest are redis-py connection options.
DJANGO_ONLY_OPTIONS = ("pool_class", "parser_class", "serializer")


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        servers = server.split(";") if isinstance(server, str) else list(server)
        # Django writes to the first server; the counter is a write.
        self.write_server = servers[0]
        options = params.get("OPTIONS", {})
        self.redis_options = {k: v for k, v in options.items() if k not in DJANGO_ONLY_OPTIONS}
        self.serializer = django_redis.RedisSerializer()

    @functools.cached_property
    def counter_client(self) -> redis.Redis:
        """One client for window_count; Django's cache builds a new one for every call."""
        return redis.Redis.from_url(self.write_server, **self.redis_options)

    def window_count(
        self, key: str, previous_key: str, timeout: int, read_key: str | None = None
    ) -> tuple[int, int, Any]:
        """Increment the counter `key` (created with `timeout` if new), read `previous_key` and,
        if given, the value at `read_key` (as `get` would), in one round trip: the rate
        limiter's work on every request, with the token's access version riding along."""
        current = self.make_and_validate_key(key)
        pipeline = self.counter_client.pipeline(transaction=True)
        pipeline.set(current, 0, ex=timeout, nx=True)
        pipeline.incr(current)
        pipeline.get(self.make_and_validate_key(previous_key))
        if read_key is not None:
            pipeline.get(self.make_and_validate_key(read_key))
        _, count, previous_count, *read = pipeline.execute()
        value = self.serializer.loads(read[0]) if read and read[0] is not None else None
        return int(count), int(previous_count or 0), value
