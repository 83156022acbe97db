"""Django's RedisCache, with one redis-py client per connection pool instead of one per call.

Django builds a new `redis.Redis` for every cache call, and each one copies redis-py's table
of about 170 response callbacks: a quarter of a millisecond, several times in every SCIM
request (rate limit, token access version). A client is safe to share between threads; the
pool it draws connections from is the same one Django would use.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def window_count(
        self, key: str, previous_key: str, timeout: int, read_key: str | None = None
    ) -> tuple[int, int, Any]:
        """Increment the counter `key` (created with `timeout` if new), read `previous_key` and,
        if given, the value at `read_key` (as `get` would), in one round trip: the rate
        limiter's work on every request, with the token's access version riding along."""
        current = self.make_and_validate_key(key)
        previous = self.make_and_validate_key(previous_key)
        client = self._cache.get_client(current, write=True)
        pipeline = client.pipeline(transaction=True)
        pipeline.set(current, 0, ex=timeout, nx=True)
        pipeline.incr(current)
        pipeline.get(previous)
        if read_key is not None:
            pipeline.get(self.make_and_validate_key(read_key))
        _, count, previous_count, *read = pipeline.execute()
        value = self._cache._serializer.loads(read[0]) if read and read[0] is not None else None
        return int(count), int(previous_count or 0), value
