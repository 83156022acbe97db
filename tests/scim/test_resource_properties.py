"""Property tests over HTTP: random and mutated POST/PUT bodies and query parameters.

The answer is a success or a SCIM 4xx body, and a 4xx writes nothing.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from apps.audit.models import AuditEvent
from apps.groups.models import Group
from apps.users.models import User
from tests.factories import AgentFactory
from tests.scim.entra import SCIM
from tests.scim.strategies import group_bodies, query_parameters, resource_bodies

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BOUNDED = settings(
    max_examples=80,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def ann(tenant):
    return AgentFactory(tenant=tenant, user_name="ann@contoso.com")


def is_scim_error(response) -> bool:
    body = response.json()
    return (
        400 <= response.status_code < 500
        and response["Content-Type"] == SCIM
        and body["schemas"] == [ERROR]
        and body["status"] == str(response.status_code)
    )


@BOUNDED
@given(body=resource_bodies)
def test_any_user_post_is_201_or_a_scim_4xx_that_creates_nothing(scim_client, tenant, body):
    users, events = User.objects.count(), AuditEvent.objects.count()

    response = scim_client.post("/scim/v2/Users", body, format="json")

    if response.status_code == 201:
        return
    assert is_scim_error(response), response.content
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)


@BOUNDED
@given(body=resource_bodies)
def test_any_user_put_is_200_or_a_scim_4xx_that_changes_nothing(scim_client, ann, body):
    ann.refresh_from_db()
    before = (ann.version, AuditEvent.objects.count())

    response = scim_client.put(f"/scim/v2/Users/{ann.public_id}", body, format="json")

    if response.status_code == 200:
        return
    assert is_scim_error(response), response.content
    ann.refresh_from_db()
    assert (ann.version, AuditEvent.objects.count()) == before


@BOUNDED
@given(body=group_bodies)
def test_any_group_post_is_201_or_a_scim_4xx_that_creates_nothing(scim_client, tenant, body):
    groups = Group.objects.count()

    response = scim_client.post("/scim/v2/Groups", body, format="json")

    if response.status_code == 201:
        return
    assert is_scim_error(response), response.content
    assert Group.objects.count() == groups


@BOUNDED
@given(params=query_parameters)
@pytest.mark.parametrize("resource", ["Users", "Groups", "Roles"])
def test_any_query_is_a_list_or_a_scim_400(scim_client, ann, resource, params):
    response = scim_client.get(f"/scim/v2/{resource}", params)

    assert response.status_code == 200 or is_scim_error(response), response.content
