"""Pushed reads: a value read from Redis is kept in the process until its change is announced."""

import time
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from commbox_site import pushed_reads
from commbox_site.pushed_reads import PushedReads, announce

pytestmark = pytest.mark.redis


class CountingRedis(redis.Redis):
    """A client that counts its GETs, and can run something in the middle of one."""

    gets = 0
    during_get = None

    def get(self, name):
        type(self).gets += 1
        if self.during_get is not None:
            self.during_get()
        return super().get(name)


@pytest.fixture
def client():
    CountingRedis.gets, CountingRedis.during_get = 0, None
    return CountingRedis.from_url(settings.CACHES["default"]["LOCATION"])


@pytest.fixture
def key():
    return f"pushed-reads-test:{uuid.uuid4().hex}"


def subscribed(reads: PushedReads, client, key) -> PushedReads:
    """`reads` once its listener has subscribed (it starts on the first read)."""
    reads.get(client, key)
    deadline = time.monotonic() + 5
    while not reads.listening and time.monotonic() < deadline:
        time.sleep(0.005)
    return reads


def listening(client, key, **options) -> PushedReads:
    url = settings.CACHES["default"]["LOCATION"]
    return subscribed(PushedReads(lambda: redis.Redis.from_url(url), **options), client, key)


def eventually(read, expected, seconds=2.0):
    deadline = time.monotonic() + seconds
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.002)
    return value


def test_a_value_read_once_is_kept_while_nothing_announces_a_change(client, key):
    announce(client, key, "v1")
    reads = listening(client, key)
    reads.get(client, key)
    gets = CountingRedis.gets

    values = [reads.get(client, key) for _ in range(5)]

    assert values == [b"v1"] * 5
    assert CountingRedis.gets == gets


def test_an_announced_change_is_read_by_every_process_within_milliseconds(client, key):
    announce(client, key, "v1")
    reads = listening(client, key)
    assert reads.get(client, key) == b"v1"
    started = time.monotonic()

    announce(client, key, "v2")

    assert eventually(lambda: reads.get(client, key), b"v2") == b"v2"
    assert time.monotonic() - started < 0.5


def test_nothing_is_kept_while_the_subscription_is_down(client, key):
    def unreachable():
        return redis.Redis(host="127.0.0.1", port=6458, socket_connect_timeout=0.1)

    reads = PushedReads(unreachable)
    announce(client, key, "v1")

    for _ in range(3):
        reads.get(client, key)

    assert CountingRedis.gets == 3


def test_a_kept_value_is_read_again_after_its_lease(client, key):
    now = [1000.0]
    announce(client, key, "v1")
    reads = listening(client, key, clock=lambda: now[0])
    reads.get(client, key)
    gets = CountingRedis.gets

    now[0] += pushed_reads.LEASE_SECONDS + 0.01
    reads.get(client, key)

    assert CountingRedis.gets == gets + 1


def test_a_read_overtaken_by_an_announcement_is_not_kept(client, key):
    announce(client, key, "v1")
    reads = listening(client, key)
    client.during_get = lambda: reads.forget(key)  # the news arrives while the GET runs
    reads.get(client, key)
    client.during_get = None
    gets = CountingRedis.gets

    reads.get(client, key)

    assert CountingRedis.gets == gets + 1


def test_the_process_that_announces_forgets_without_waiting_for_the_message():
    cache.set_text("pushed-reads-test", "v1")
    assert cache.get_text("pushed-reads-test") == b"v1"

    cache.set_text("pushed-reads-test", "v2")

    assert cache.get_text("pushed-reads-test") == b"v2"
