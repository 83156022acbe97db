import json
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.tokens.services import create_token
from tests.factories import AdminFactory, AgentFactory, StaffFactory, TenantFactory, UserFactory

REDIS_CACHE = "commbox_site.cache.RedisCache"
RUN_ID = uuid.uuid4().hex[:8]


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests run whenever the database is PostgreSQL (as in CI), Redis-only
    tests whenever the cache is Redis (CACHE_URL=redis://..., as in CI); else deselected."""
    unavailable = set()
    if connection.vendor != "postgresql":
        unavailable.add("postgres")
    if django_settings.CACHES["default"]["BACKEND"] != REDIS_CACHE:
        unavailable.add("redis")
    kept, deselected = [], []
    for item in items:
        needs = {marker.name for marker in item.iter_markers()} & unavailable
        (deselected if needs else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _refuse_flush(self):
    raise AssertionError(
        "cache.clear() is FLUSHDB on Redis (a shared server): each test already has a cache "
        "of its own (its own key prefix)."
    )


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings, monkeypatch):
    """Each test counts rate limits from zero: its own key prefix in the shared cache.

    The prefix also keeps the test run away from anything else in the same Redis database.
    Never cache.clear(): on Redis it is FLUSHDB, the whole database, whatever the prefix.
    """
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{RUN_ID}-{uuid.uuid4().hex}"}
    }
    monkeypatch.setattr(RedisCache, "clear", _refuse_flush)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher costs a second per user on a small CI machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _request_log_written_in_the_request(settings):
    # The buffer's thread has its own connection, outside the test's transaction.
    settings.SCIM_REQUEST_LOG_FLUSH_SECONDS = 0


@pytest.fixture
def buffered_request_log(settings):
    """The request log as in production: rows wait in the process's buffer (an hour here).

    Emptied afterwards: its rows name a tenant the test's rollback removes.
    """
    from apps.audit import request_log

    settings.SCIM_REQUEST_LOG_FLUSH_SECONDS = 3600
    settings.SCIM_REQUEST_LOG_FLUSH_ROWS = 10**6
    yield request_log.buffer
    request_log.buffer.rows.clear()


@pytest.fixture(autouse=True)
def _tokens_cached_in_process(settings):
    # One process, so the local-memory cache is shared by every "worker" in it: the same
    # path production takes with Redis.
    settings.TOKEN_CACHE_SECONDS = 30


@pytest.fixture
def tenant(db):
    return TenantFactory(
        subdomain="my-tenant", name="My Tenant", token_access_enabled_at=timezone.now()
    )


@pytest.fixture
def scim_may_grant_admin(tenant):
    """The tenant lets SCIM (Entra ID) make users admins; off unless a test asks for it."""
    tenant.scim_admin_grants_enabled_at = timezone.now()
    tenant.save(update_fields=["scim_admin_grants_enabled_at"])
    return tenant


@pytest.fixture
def tenant_admin(tenant):
    # Fixed names: a random one ("Adams", "Canada") would match the name-search tests.
    return AdminFactory(
        tenant=tenant, user_name="admin@my-tenant.example", given_name="Terry", family_name="Owen"
    )


@pytest.fixture
def agent(tenant):
    return AgentFactory(tenant=tenant)


@pytest.fixture
def end_user(tenant):
    """An end-user of the tenant (a customer): cannot reach settings, cannot join groups."""
    return UserFactory(tenant=tenant)


@pytest.fixture
def outsider(db):
    """Another tenant's admin."""
    return AdminFactory(tenant=TenantFactory(subdomain="other-tenant"))


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def api_token(tenant, tenant_admin):
    """(token, secret) for the tenant, made through the service like a real one."""
    return create_token(tenant=tenant, actor=tenant_admin, description="Entra ID")


class ScimClient(APIClient):
    def send(self, method: str, url: str, body=None, **extra):
        """A request with a JSON body sent as application/scim+json, as Entra sends it."""
        data = json.dumps(body) if body is not None else None
        return getattr(self, method)(url, data, content_type="application/scim+json", **extra)


@pytest.fixture
def scim_client(api_token):
    """An API client that sends the tenant's token as Entra does; .send() posts SCIM JSON."""
    client = ScimClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")
    return client


@pytest.fixture
def unreachable_database(transactional_db):
    """The default connection pointed at a port nothing listens on; call it to restore."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="6458")

    def restore():
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    yield restore
    restore()


@pytest.fixture
def scim_set_active(scim_client):
    """Sets a user's active flag over SCIM as Entra does (PATCH Replace "active")."""

    def patch(user, active: bool):
        response = scim_client.send(
            "patch",
            f"/scim/v2/Users/{user.public_id}",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Replace", "path": "active", "value": active}],
            },
        )
        assert response.status_code == 200, response.content
        return response

    return patch
