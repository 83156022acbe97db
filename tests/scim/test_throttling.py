"""Rate limits: per API token for callers, per client address for failed authentications."""

import logging
import time
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from redis import connection as redis_connection
from rest_framework.test import APIClient

from apps.scim import throttling
from apps.scim.throttling import TokenRateThrottle
from apps.tenants.rates import Rate, parse_rate
from apps.tokens.services import create_token, set_token_access

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BAD_TOKEN = "Bearer cbx_notARealTokenAtAllxxxxxxxxxxxxxxxxx"


@pytest.fixture
def bad_client():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=BAD_TOKEN)
    return client


@pytest.fixture
def second_scim_client(tenant, tenant_admin):
    """Another token of the same tenant, as a second Entra connection would hold."""
    _, secret = create_token(tenant=tenant, actor=tenant_admin, description="Second")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_requests_over_the_token_limit_get_429_with_retry_after_and_a_scim_body(
    settings, scim_client
):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "3/m"
    for _ in range(3):
        assert scim_client.get("/scim/v2/Users").status_code == 200

    response = scim_client.get("/scim/v2/Users")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == "429"
    # At most the rest of this minute plus the third of the next that the sliding window
    # needs before 3 requests in one minute leave room for a fourth.
    assert 1 <= int(response["Retry-After"]) <= 80


def test_token_limit_counts_a_token_from_every_address(settings, scim_client):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "2/m"
    scim_client.get("/scim/v2/Users", REMOTE_ADDR="10.0.0.1")
    scim_client.get("/scim/v2/Users", REMOTE_ADDR="10.0.0.2")

    response = scim_client.get("/scim/v2/Users", REMOTE_ADDR="10.0.0.3")

    assert response.status_code == 429


def test_another_token_from_the_same_address_is_not_throttled(
    settings, scim_client, second_scim_client
):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "2/m"
    for _ in range(3):
        scim_client.get("/scim/v2/Users")

    response = second_scim_client.get("/scim/v2/Users")

    assert response.status_code == 200


def test_failed_authentications_over_the_limit_get_429_with_retry_after(
    settings, tenant, bad_client
):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "3/m"
    statuses = [bad_client.get("/scim/v2/Users").status_code for _ in range(3)]

    response = bad_client.get("/scim/v2/Users")

    assert statuses == [401, 401, 401]
    assert response.status_code == 429
    assert response.json()["schemas"] == [ERROR]
    assert "failed authentications" in response.json()["detail"]
    assert int(response["Retry-After"]) >= 1


def test_requests_without_credentials_count_as_failed_authentications(settings, client, tenant):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "2/m"
    client.get("/scim/v2/Users")
    client.get("/scim/v2/Users")

    response = client.get("/scim/v2/Users")

    assert response.status_code == 429


def test_a_valid_token_is_served_from_an_address_over_the_failed_authentication_limit(
    settings, bad_client, scim_client
):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "2/m"
    for _ in range(3):
        bad_client.get("/scim/v2/Users")

    response = scim_client.get("/scim/v2/Users")

    assert response.status_code == 200


def test_failed_authentications_are_counted_per_client_address(settings, tenant, bad_client):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "2/m"
    for _ in range(3):
        bad_client.get("/scim/v2/Users", REMOTE_ADDR="10.0.0.1")

    response = bad_client.get("/scim/v2/Users", REMOTE_ADDR="10.0.0.2")

    assert response.status_code == 401


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings, tenant, bad_client):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "2/m"
    for number in range(2):
        bad_client.get("/scim/v2/Users", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")

    response = bad_client.get("/scim/v2/Users", HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429


def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(settings, tenant, bad_client):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "2/m"
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(3):
        bad_client.get("/scim/v2/Users", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1")

    response = bad_client.get("/scim/v2/Users", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.2")

    assert response.status_code == 401


def test_a_client_cannot_escape_the_limit_by_prepending_forwarded_addresses(
    settings, tenant, bad_client
):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "2/m"
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for number in range(2):
        bad_client.get("/scim/v2/Users", HTTP_X_FORWARDED_FOR=f"6.6.6.{number}, 198.51.100.1")

    response = bad_client.get("/scim/v2/Users", HTTP_X_FORWARDED_FOR="6.6.6.9, 198.51.100.1")

    assert response.status_code == 429


def test_entra_pace_with_bursts_is_never_throttled_by_the_default_limit(monkeypatch, api_token):
    """Three minutes at 25 requests/second, with a 100-request burst every 30 seconds."""
    clock = FakeClock()
    monkeypatch.setattr(TokenRateThrottle, "timer", clock)
    request = SimpleNamespace(auth=api_token[0])
    refused = 0
    for second in range(180):
        per_second = 125 if second % 30 == 0 else 25
        for step in range(per_second):
            clock.now = 1_800_000_000.0 + second + step / per_second
            refused += not TokenRateThrottle().allow_request(request, view=None)

    assert refused == 0


def test_a_client_over_the_limit_is_served_again_after_retry_after(
    monkeypatch, settings, api_token
):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "10/m"
    clock = FakeClock()
    monkeypatch.setattr(TokenRateThrottle, "timer", clock)
    request = SimpleNamespace(auth=api_token[0])
    for _ in range(10):
        TokenRateThrottle().allow_request(request, view=None)
    throttle = TokenRateThrottle()
    assert not throttle.allow_request(request, view=None)

    clock.now += throttle.wait() + 0.01

    assert TokenRateThrottle().allow_request(request, view=None)


def test_sustained_overload_is_cut_to_the_limit_not_shut_out(monkeypatch, settings, api_token):
    """Refused requests are not counted: a client sending twice the rate gets the rate."""
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "60/m"
    clock = FakeClock()
    monkeypatch.setattr(TokenRateThrottle, "timer", clock)
    request = SimpleNamespace(auth=api_token[0])
    allowed = 0
    for half_second in range(2 * 300):
        clock.now = 1_800_000_000.0 + half_second / 2
        allowed += TokenRateThrottle().allow_request(request, view=None)

    assert 290 <= allowed <= 310  # five minutes at 1/s, within the sliding estimate's error


@pytest.mark.parametrize(
    ("text", "requests", "seconds"),
    [("3000/m", 3000, 60), ("50/s", 50, 1), ("600/10s", 600, 10), ("100/hour", 100, 3600)],
)
def test_rates_are_read_as_requests_per_period(text, requests, seconds):
    assert parse_rate(text) == Rate(requests=requests, seconds=seconds)


@pytest.mark.parametrize("text", ["", "fast", "0/m", "10/x", "10 per minute"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


@pytest.fixture
def unreachable_cache(settings, monkeypatch):
    """The cache on a port nothing listens on, as when Redis is down."""
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6459/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    monkeypatch.setattr(throttling, "_last_warning_at", 0.0)


def test_with_the_cache_down_scim_keeps_serving(settings, unreachable_cache, scim_client):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "1/m"

    statuses = [scim_client.get("/scim/v2/Users").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


def test_with_the_cache_down_a_bad_token_is_still_401(settings, unreachable_cache, bad_client):
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "1/m"

    statuses = [bad_client.get("/scim/v2/Users").status_code for _ in range(3)]

    assert statuses == [401, 401, 401]


def test_with_the_cache_down_failing_open_is_logged(unreachable_cache, scim_client, caplog):
    with caplog.at_level(logging.WARNING, logger="apps.scim.throttling"):
        scim_client.get("/scim/v2/Users")

    assert "failing open" in caplog.text


@pytest.mark.redis
def test_token_limit_is_shared_with_a_process_that_never_saw_the_requests(settings, scim_client):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "3/m"
    for _ in range(3):
        scim_client.get("/scim/v2/Users")
    # Rebuilding the settings builds new cache clients with new connection pools: all this
    # process knew is gone, as in another worker or instance; only Redis remembers.
    settings.CACHES = {"default": dict(django_settings.CACHES["default"])}

    response = scim_client.get("/scim/v2/Users")

    assert response.status_code == 429


@pytest.mark.postgres
def test_requests_refused_while_the_database_is_down_do_not_count_against_the_token(
    settings, transactional_db, scim_client
):
    # The token is cached in the process, so it authenticates without the database; a 503
    # must still not use up the limit, or the first minute after recovery would be 429s.
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "4/m"
    scim_client.raise_request_exception = False
    for _ in range(2):  # the second request finds the token's account and caches the token
        assert scim_client.get("/scim/v2/ServiceProviderConfig").status_code == 200
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="6458")  # nothing listens there
    try:
        refused = [scim_client.get("/scim/v2/Users").status_code for _ in range(3)]
    finally:
        connection.close()
        connection.settings_dict.update(saved)

    assert refused == [503, 503, 503]
    assert scim_client.get("/scim/v2/Users").status_code == 200


def test_requests_refused_for_their_token_do_not_count_against_it(
    settings, tenant, tenant_admin, scim_client, django_capture_on_commit_callbacks
):
    # DRF authenticates first and throttles after: a refused token never reaches the count.
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "4/m"
    settings.SCIM_RATE_LIMIT_FAILED_AUTH = "1000/m"
    for _ in range(2):
        assert scim_client.get("/scim/v2/Users").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)
    assert [scim_client.get("/scim/v2/Users").status_code for _ in range(5)] == [401] * 5
    with django_capture_on_commit_callbacks(execute=True):
        set_token_access(tenant=tenant, actor=tenant_admin, enabled=True)

    statuses = [scim_client.get("/scim/v2/Users").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_a_refused_token_is_never_counted_against_its_limit(
    monkeypatch, tenant, tenant_admin, api_token, scim_client, django_capture_on_commit_callbacks
):
    clock = FakeClock()
    monkeypatch.setattr(TokenRateThrottle, "timer", clock)
    with django_capture_on_commit_callbacks(execute=True):
        set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    statuses = [scim_client.get("/scim/v2/Users").status_code for _ in range(3)]

    # A count taken back would leave the counter at 0; a request never counted leaves none.
    window = int(clock.now // TokenRateThrottle().rate.seconds)
    assert statuses == [401] * 3
    assert cache.get(f"throttle:token:{api_token[0].pk}:{window}") is None


@pytest.fixture
def redis_commands(monkeypatch):
    """Every command batch sent to Redis (a pipeline is one), as (number of commands)."""
    sent = []
    send = redis_connection.AbstractConnection.send_packed_command

    def counting_send(self, command, check_health=True):
        sent.append(command)
        return send(self, command, check_health)

    monkeypatch.setattr(redis_connection.AbstractConnection, "send_packed_command", counting_send)
    return sent


@pytest.mark.redis
def test_a_known_token_costs_no_round_trip_to_the_cache_while_nothing_changes(
    scim_client, redis_commands
):
    # The tenant's access version is kept in the process until a change is announced
    # (commbox_site/pushed_reads.py); the throttle, which DRF runs after authentication,
    # counts the request from this process's reservation (apps/scim/reserved_counts.py).
    scim_client.get("/scim/v2/ServiceProviderConfig")  # loads the token; starts listening
    deadline = time.monotonic() + 5
    while not cache.pushed_reads.listening and time.monotonic() < deadline:
        time.sleep(0.005)
    scim_client.get("/scim/v2/ServiceProviderConfig")  # caches the token with its version
    redis_commands.clear()

    response = scim_client.get("/scim/v2/ServiceProviderConfig")

    assert response.status_code == 200
    assert redis_commands == []


@pytest.mark.redis
def test_the_throttle_reserves_again_when_its_batch_is_used_up(
    settings, api_token, redis_commands
):
    settings.SCIM_RATE_LIMIT_PER_TOKEN = "3000/m"  # a batch of 15
    request = SimpleNamespace(auth=api_token[0])
    clock = FakeClock()
    throttle = TokenRateThrottle()
    throttle.timer = clock

    assert throttle.allow_request(request, view=None)  # reserves 15 (and connects)
    redis_commands.clear()

    for _ in range(14):
        assert throttle.allow_request(request, view=None)
    sent_for_the_rest_of_the_batch = len(redis_commands)
    assert throttle.allow_request(request, view=None)

    assert (sent_for_the_rest_of_the_batch, len(redis_commands)) == (0, 1)
