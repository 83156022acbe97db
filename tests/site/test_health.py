"""/healthz says the process answers; /readyz says the database and the cache answer."""

import pytest

from apps.tenants.models import Tenant


def test_healthz_answers_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_when_database_and_cache_answer(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_checks_answer_on_any_host_over_plain_http(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example"]

    responses = [client.get(path, HTTP_HOST="10.1.2.3:8000") for path in ("/healthz", "/readyz")]

    assert [r.status_code for r in responses] == [200, 200]


def test_readyz_answers_503_when_the_cache_is_unreachable(client, settings, db):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6459/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}


@pytest.mark.postgres
def test_readyz_answers_503_when_the_database_is_unreachable(client, unreachable_database):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


class TouchesTheDatabaseMiddleware:
    """A middleware that reads the database before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        Tenant.objects.exists()
        return self.get_response(request)


@pytest.mark.postgres
def test_a_database_outage_met_in_a_middleware_is_a_503_too(client, settings, unreachable_database):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.TouchesTheDatabaseMiddleware"]
    client.raise_request_exception = False

    responses = [client.get("/login/"), client.get("/scim/v2/Users")]

    assert [r.status_code for r in responses] == [503, 503]
    assert responses[1]["Content-Type"] == "application/scim+json"
    assert all(r["Retry-After"] == "5" for r in responses)
