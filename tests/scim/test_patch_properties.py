"""Property tests: random and mutated PATCH bodies never give a 500.

Seeds are the operations Entra sends (docs/entra-scim.md §5-6) with real ids; mutations
swap ops, paths, values and types. The engine (serializer → draft → service) may only
raise SCIM or validation errors; over HTTP the answer is 200/204 or a SCIM 4xx body, and a
4xx changes nothing.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from rest_framework.exceptions import ValidationError as DrfValidationError

from apps.audit.models import AuditEvent
from apps.scim.exceptions import ScimError
from apps.scim.patch import UserDraft
from apps.scim.serializers import PatchOpSerializer
from apps.users import services as user_services
from apps.users.models import User
from tests.factories import AgentFactory, GroupFactory, MembershipFactory, UserEmailFactory
from tests.scim.entra import SCIM
from tests.scim.strategies import patch_bodies

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
BOUNDED = settings(
    max_examples=120,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Fixed ids, so that the strategies can name users that exist.
ANN = "6f0a5d1c-1111-4a4a-8a8a-000000000001"
BEN = "6f0a5d1c-1111-4a4a-8a8a-000000000002"
BODIES = patch_bodies([ANN, BEN, "2819c223-7f76-453a-919d-413861904646"])


@pytest.fixture
def ann(tenant):
    user = AgentFactory(tenant=tenant, public_id=ANN, user_name="ann@contoso.com")
    UserEmailFactory(user=user, value="ann@contoso.com")
    return user


@pytest.fixture
def ben(tenant):
    return AgentFactory(tenant=tenant, public_id=BEN, user_name="ben@contoso.com")


@pytest.fixture
def group(tenant, ben):
    return MembershipFactory(
        group=GroupFactory(tenant=tenant, display_name="Sales"), user=ben
    ).group


def state_of(user: User) -> tuple:
    user.refresh_from_db()
    return (user.version, user.is_active, user.role, user.title, user.manager_id)


@BOUNDED
@given(body=BODIES)
def test_the_patch_engine_raises_only_scim_and_validation_errors(tenant, token, ann, ben, body):
    with transaction.atomic():
        try:
            operations = PatchOpSerializer(data=body)
            operations.is_valid(raise_exception=True)
            user = User.objects.get(pk=ann.pk)
            draft = UserDraft(tenant, user)
            for operation in operations.validated_data:
                draft.apply_operation(operation)
            user_services.update_user(
                tenant=tenant, actor=token, user=user, attributes=draft.changes()
            )
        except (ScimError, ValidationError, DrfValidationError):
            pass
        transaction.set_rollback(True)


@BOUNDED
@given(body=BODIES)
def test_any_patch_of_a_user_is_2xx_or_a_scim_4xx_that_changes_nothing(scim_client, ann, ben, body):
    before = state_of(ann)
    events = AuditEvent.objects.count()

    response = scim_client.patch(f"/scim/v2/Users/{ann.public_id}", body, format="json")

    if response.status_code in (200, 204):
        return
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == SCIM
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == str(response.status_code)
    assert state_of(ann) == before
    assert AuditEvent.objects.count() == events


@BOUNDED
@given(body=BODIES)
def test_any_patch_of_a_group_is_2xx_or_a_scim_4xx_that_changes_nothing(
    scim_client, ann, ben, group, body
):
    group.refresh_from_db()
    before = (group.version, sorted(group.memberships.values_list("user_id", flat=True)))
    events = AuditEvent.objects.count()

    response = scim_client.patch(f"/scim/v2/Groups/{group.public_id}", body, format="json")

    if response.status_code in (200, 204):
        return
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == SCIM
    assert response.json()["schemas"] == [ERROR]
    group.refresh_from_db()
    assert (group.version, sorted(group.memberships.values_list("user_id", flat=True))) == before
    assert AuditEvent.objects.count() == events
