"""What the attribute map derives: filter tables, PATCH path checks, the always-returned names."""

import pytest

from apps.scim.filters import TABLES, Related
from apps.scim.mapping import ENTERPRISE_USER, GROUP, USER
from apps.users.models import User
from apps.users.services import SCALAR_FIELDS
from tests.factories import AgentFactory

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch(client, user, *operations):
    return client.patch(
        f"/scim/v2/Users/{user.public_id}",
        {"schemas": [PATCH_OP], "Operations": list(operations)},
        format="json",
    )


def test_every_filterable_user_attribute_of_the_map_is_in_the_filter_table():
    table = TABLES["User"]

    for urn, attribute in USER.attributes():
        if attribute.filter is not None:
            key = attribute.key if urn == USER.schema else f"{urn.lower()}:{attribute.key}"
            assert table[key] == attribute.filter


def test_rows_of_a_related_model_become_an_exists_filter_on_their_sub_attributes():
    emails = TABLES["User"]["emails"]

    assert isinstance(emails, Related)
    assert set(emails.attributes) == {"value", "type", "primary", "display"}


def test_extension_attributes_are_filtered_under_their_urn():
    assert f"{ENTERPRISE_USER.lower()}:department" in TABLES["User"]


def test_id_is_always_returned():
    assert USER.always_returned() == ("schemas", "id")
    assert GROUP.always_returned() == ("schemas", "id")


@pytest.mark.parametrize(
    "path",
    ['emails[type eq "work"].colour', 'badges[type eq "work"].value', "userName.first"],
)
def test_patch_on_an_unknown_path_is_400_invalid_path(scim_client, tenant, path):
    user = AgentFactory(tenant=tenant)

    response = patch(scim_client, user, {"op": "replace", "path": path, "value": "x"})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidPath"


def test_patch_on_a_read_only_attribute_is_400_mutability(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = patch(scim_client, user, {"op": "replace", "path": "id", "value": "x"})

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"


def test_patch_on_an_attribute_this_server_does_not_store_is_ignored(scim_client, tenant):
    user = AgentFactory(tenant=tenant, title="Agent")

    response = patch(scim_client, user, {"op": "replace", "path": "badge", "value": "x"})

    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).title == "Agent"


def test_every_column_the_map_writes_is_one_the_user_services_accept():
    assert set(USER.columns()) == set(SCALAR_FIELDS)
