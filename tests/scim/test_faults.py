"""A database outage is a fast 503 with Retry-After, a failed write leaves nothing behind."""

import time

import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.groups.models import GroupMembership
from tests.factories import AgentFactory, GroupFactory
from tests.scim.entra import CORE_USER, patch_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

pytestmark = pytest.mark.postgres


@pytest.fixture
def audit_writes_fail(db):
    """The database drops the connection when the audit row is written (SQLSTATE 08006)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION pg_temp.fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'injected connection failure' USING ERRCODE = '08006'; END $$;
            CREATE TRIGGER fail_audit BEFORE INSERT ON audit_auditevent
                FOR EACH ROW EXECUTE FUNCTION pg_temp.fail_audit();
            """
        )


def test_scim_with_the_database_unreachable_is_a_fast_503_with_a_scim_body(
    scim_client, unreachable_database
):
    started = time.monotonic()

    response = scim_client.get("/scim/v2/Users")

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == "503"
    assert response["Retry-After"] == "5"


@pytest.fixture
def signed_in_client(client, tenant_admin):
    client.force_login(tenant_admin)
    # A middleware meets the outage first (the session), and the test client would re-raise
    # what Django's handler500 turns into the 503 this test is about.
    client.raise_request_exception = False
    return client


def test_a_page_with_the_database_unreachable_is_a_plain_503_page(
    signed_in_client, unreachable_database
):
    response = signed_in_client.get("/settings/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content


def test_the_server_recovers_by_itself_when_the_database_returns(scim_client, unreachable_database):
    assert scim_client.get("/scim/v2/Users").status_code == 503

    unreachable_database()

    assert scim_client.get("/scim/v2/Users").status_code == 200


def test_a_user_write_that_fails_midway_changes_nothing(scim_client, tenant, audit_writes_fail):
    user = AgentFactory(tenant=tenant, display_name="Before")
    operation = {"op": "replace", "path": "displayName", "value": "After"}
    events_before = AuditEvent.objects.count()

    response = scim_client.send("patch", f"/scim/v2/Users/{user.public_id}", patch_body(operation))

    assert response.status_code == 503
    user.refresh_from_db()
    assert user.display_name == "Before"
    assert AuditEvent.objects.count() == events_before


def test_a_group_write_that_fails_midway_adds_no_member(scim_client, tenant, audit_writes_fail):
    group = GroupFactory(tenant=tenant)
    agent = AgentFactory(tenant=tenant)
    operation = {"op": "add", "path": "members", "value": [{"value": str(agent.public_id)}]}

    response = scim_client.send(
        "patch", f"/scim/v2/Groups/{group.public_id}", patch_body(operation)
    )

    assert response.status_code == 503
    assert not GroupMembership.objects.exists()


def test_a_user_create_that_fails_midway_creates_no_user(scim_client, tenant, audit_writes_fail):
    body = {
        "schemas": [CORE_USER],
        "userName": "half@contoso.com",
    }

    response = scim_client.send("post", "/scim/v2/Users", body)

    assert response.status_code == 503
    assert not tenant.users.filter(user_name="half@contoso.com").exists()


@pytest.fixture
def token_cached(scim_client):
    # The first two requests load the token; from the third it comes from the process cache.
    scim_client.get("/scim/v2/ServiceProviderConfig")
    scim_client.get("/scim/v2/ServiceProviderConfig")
    return scim_client


def test_a_cached_token_is_served_again_when_the_database_returns(
    token_cached, unreachable_database
):
    assert token_cached.get("/scim/v2/Users").status_code == 503

    unreachable_database()

    assert token_cached.get("/scim/v2/Users").status_code == 200
