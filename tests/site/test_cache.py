"""The Redis cache backend: Django's, with the rate limiter's one round trip."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.redis


def test_the_counter_client_is_built_once():
    assert cache.counter_client is cache.counter_client


def test_window_count_starts_a_new_counter_at_one_and_reads_no_previous_window():
    assert cache.window_count("window:2", "window:1", 60) == (1, 0)


def test_window_count_adds_to_the_counter_and_reads_the_previous_window():
    cache.set("window:1", 7)
    cache.window_count("window:2", "window:1", 60)

    assert cache.window_count("window:2", "window:1", 60) == (2, 7)


def test_window_count_gives_a_new_counter_the_timeout():
    cache.window_count("window:2", "window:1", 60)

    seconds_left = cache.counter_client.ttl(cache.make_key("window:2"))
    assert 0 < seconds_left <= 60


def test_a_window_counter_reads_back_through_the_cache_as_a_number():
    cache.window_count("window:2", "window:1", 60)

    assert cache.get("window:2") == 1
