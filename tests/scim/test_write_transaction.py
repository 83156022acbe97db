"""A SCIM write is one transaction with no savepoint inside, and a refusal still undoes it all.

These run as production does, outside a test's transaction (transactional_db), where the
view's transaction is the outermost one.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.groups.models import GroupMembership
from tests.factories import AgentFactory, GroupFactory, UserFactory
from tests.scim.entra import patch_body


@pytest.fixture
def outermost(transactional_db, scim_client, buffered_request_log):
    return scim_client


def statements_of(client, method, url, body):
    with CaptureQueriesContext(connection) as queries:
        response = client.send(method, url, body)
    return response, [query["sql"] for query in queries.captured_queries]


def test_a_user_patch_opens_no_savepoint(outermost, tenant):
    user = AgentFactory(tenant=tenant)
    body = patch_body({"op": "Replace", "path": "name.givenName", "value": "Ann"})

    response, statements = statements_of(
        outermost, "patch", f"/scim/v2/Users/{user.public_id}", body
    )

    assert response.status_code == 200
    assert not [sql for sql in statements if "SAVEPOINT" in sql]


def test_a_group_patch_opens_no_savepoint(outermost, tenant):
    group, agent = GroupFactory(tenant=tenant), AgentFactory(tenant=tenant)
    body = patch_body({"op": "Add", "path": "members", "value": [{"value": str(agent.public_id)}]})

    response, statements = statements_of(
        outermost, "patch", f"/scim/v2/Groups/{group.public_id}", body
    )

    assert response.status_code == 204
    assert not [sql for sql in statements if "SAVEPOINT" in sql]


def test_a_refused_group_patch_stores_none_of_its_operations(outermost, tenant):
    group = GroupFactory(tenant=tenant, display_name="Sales")
    agent, customer = AgentFactory(tenant=tenant), UserFactory(tenant=tenant)
    body = patch_body(
        {"op": "Replace", "path": "displayName", "value": "Renamed"},
        {"op": "Add", "path": "members", "value": [{"value": str(agent.public_id)}]},
        {"op": "Add", "path": "members", "value": [{"value": str(customer.public_id)}]},
    )

    response = outermost.send("patch", f"/scim/v2/Groups/{group.public_id}", body)

    assert response.status_code == 400
    group.refresh_from_db()
    assert (group.display_name, group.version) == ("Sales", 1)
    assert not GroupMembership.objects.filter(group=group).exists()
    assert not AuditEvent.objects.filter(action__startswith="group.").exists()


def test_a_user_patch_to_a_taken_user_name_is_409_and_the_next_write_succeeds(outermost, tenant):
    AgentFactory(tenant=tenant, user_name="taken@example.com")
    user = AgentFactory(tenant=tenant, user_name="ann@example.com")
    url = f"/scim/v2/Users/{user.public_id}"

    refused = outermost.send(
        "patch",
        url,
        patch_body({"op": "Replace", "path": "userName", "value": "taken@example.com"}),
    )
    renamed = outermost.send(
        "patch",
        url,
        patch_body({"op": "Replace", "path": "userName", "value": "ann.lee@example.com"}),
    )

    assert (refused.status_code, refused.json()["scimType"]) == (409, "uniqueness")
    assert renamed.status_code == 200
    user.refresh_from_db()
    assert user.user_name == "ann.lee@example.com"


@pytest.fixture
def audit_writes_fail(outermost):
    """The audit row's INSERT, which comes after the change's UPDATE, fails (SQLSTATE 08006)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION fail_audit_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'injected connection failure' USING ERRCODE = '08006'; END $$;
            CREATE TRIGGER fail_audit_for_test BEFORE INSERT ON audit_auditevent
                FOR EACH ROW EXECUTE FUNCTION fail_audit_for_test();
            """
        )
    yield outermost
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER fail_audit_for_test ON audit_auditevent; "
            "DROP FUNCTION fail_audit_for_test();"
        )


@pytest.mark.postgres
def test_a_user_patch_failing_after_its_update_leaves_the_user_unchanged(audit_writes_fail, tenant):
    user = AgentFactory(tenant=tenant, display_name="Before")
    body = patch_body({"op": "Replace", "path": "displayName", "value": "After"})

    response = audit_writes_fail.send("patch", f"/scim/v2/Users/{user.public_id}", body)

    assert response.status_code == 503
    user.refresh_from_db()
    assert (user.display_name, user.version) == ("Before", 1)
