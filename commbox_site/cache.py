"""Django's RedisCache, with one redis-py client per connection pool instead of one per call.

Django builds a new `redis.Redis` for every cache call, and each one copies redis-py's table
of about 170 response callbacks: a quarter of a millisecond, several times in every SCIM
request (rate limit, token access version). A client is safe to share between threads; the
pool it draws connections from is the same one Django would use.
"""

from __future__ import annotations

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

    def window_count(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        """Increment the counter `key` (created with `timeout` if new) and read `previous_key`,
        in one round trip: the rate limiter's work on every request."""
        current = self.make_and_validate_key(key)
        previous = self.make_and_validate_key(previous_key)
        pipeline = self._cache.get_client(current, write=True).pipeline(transaction=True)
        pipeline.set(current, 0, ex=timeout, nx=True)
        pipeline.incr(current)
        pipeline.get(previous)
        _, count, previous_count = pipeline.execute()
        return int(count), int(previous_count or 0)
