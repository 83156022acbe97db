"""Bad input is a SCIM error (never a 500); what Entra sends that a strict server refuses works."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from apps.users.models import User
from tests.factories import AgentFactory
from tests.scim.entra import CORE_USER, ENTERPRISE, entra_user, patch_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def test_request_without_token_is_401_scim_error(client, tenant):
    response = client.get("/scim/v2/Users")

    assert response.status_code == 401
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == "401"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_request_with_a_wrong_token_is_401(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")

    response = client.get("/scim/v2/Users")

    assert response.status_code == 401
    assert response.json()["schemas"] == [ERROR]


def test_request_without_user_agent_is_served(scim_client, tenant):
    response = scim_client.get("/scim/v2/Users", HTTP_USER_AGENT="")

    assert response.status_code == 200


def test_malformed_json_is_400_invalid_syntax(scim_client, tenant):
    response = scim_client.post(
        "/scim/v2/Users", '{"userName": ', content_type="application/scim+json"
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_body_that_is_not_an_object_is_400(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", ["userName"])

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_missing_user_name_is_400(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", {"schemas": [CORE_USER]})

    assert response.status_code == 400
    assert "userName" in response.json()["detail"]


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", 42),
        ("active", "maybe"),
        ("emails", "x@y"),
        ("name", "Ann"),
        ("displayName", {"a": 1}),
        ("title", ["x"]),
    ],
)
def test_wrong_types_are_400_invalid_value(scim_client, tenant, attribute, value):
    response = scim_client.send("post", "/scim/v2/Users", entra_user(**{attribute: value}))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert not User.objects.filter(user_name="Test_User_1@contoso.com").exists()


def test_too_long_value_is_400_not_a_database_error(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", entra_user(title="x" * 300))

    assert response.status_code == 400
    assert "title" in response.json()["detail"]


@pytest.mark.parametrize("query", ["startIndex=abc", "count=1.5", "count=ten"])
def test_bad_paging_parameters_are_400(scim_client, tenant, query):
    response = scim_client.get(f"/scim/v2/Users?{query}")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_id_that_is_not_a_uuid_is_404(scim_client, tenant):
    response = scim_client.get("/scim/v2/Users/not-a-uuid")

    assert response.status_code == 404
    assert response.json()["schemas"] == [ERROR]
    assert "not-a-uuid" in response.json()["detail"]


def test_unknown_id_is_404_with_string_status(scim_client, tenant):
    response = scim_client.get(f"/scim/v2/Users/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json()["status"] == "404"


def test_unsupported_filter_is_400_invalid_filter(scim_client, tenant):
    response = scim_client.get("/scim/v2/Users?filter=userName eq")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_patch_with_an_unknown_op_is_400(scim_client, agent):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{agent.public_id}",
        patch_body({"op": "Merge", "path": "title", "value": "x"}),
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_patch_without_operations_is_400(scim_client, agent):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{agent.public_id}",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]},
    )

    assert response.status_code == 400


def test_patch_with_a_malformed_path_is_400_invalid_path(scim_client, agent):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{agent.public_id}",
        patch_body({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}),
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidPath"


def test_remove_without_path_is_400_no_target(scim_client, agent):
    response = scim_client.send(
        "patch", f"/scim/v2/Users/{agent.public_id}", patch_body({"op": "remove"})
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "noTarget"


def test_application_json_is_accepted(scim_client, tenant):
    response = scim_client.post(
        "/scim/v2/Users", json.dumps(entra_user()), content_type="application/json"
    )

    assert response.status_code == 201


def test_scim_json_with_charset_is_accepted(scim_client, tenant):
    response = scim_client.post(
        "/scim/v2/Users",
        json.dumps(entra_user()),
        content_type="application/scim+json; charset=utf-8",
    )

    assert response.status_code == 201


def test_unknown_schema_urns_and_attributes_are_ignored(scim_client, tenant):
    body = entra_user(
        schemas=[CORE_USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
        favouriteColour="blue",
    )
    body["urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"] = {"badge": "42"}

    response = scim_client.send("post", "/scim/v2/Users", body)

    assert response.status_code == 201


def test_read_only_id_and_meta_in_a_post_are_ignored(scim_client, tenant):
    sent_id = str(uuid.uuid4())

    response = scim_client.send(
        "post",
        "/scim/v2/Users",
        entra_user(id=sent_id, meta={"resourceType": "User", "version": 'W/"9"'}),
    )

    assert response.status_code == 201
    assert response.json()["id"] != sent_id
    assert response.json()["meta"]["version"] == 'W/"1"'


def test_null_values_are_tolerated(scim_client, tenant):
    body = entra_user(addresses=None, title=None, phoneNumbers=None, nickName=None)
    body[ENTERPRISE] = {"department": None, "manager": None}

    response = scim_client.send("post", "/scim/v2/Users", body)

    assert response.status_code == 201
    assert User.objects.get(user_name="Test_User_1@contoso.com").title == ""


def test_attribute_names_in_any_case(scim_client, tenant):
    body = {
        "UserName": "ann@contoso.com",
        "Name": {"GivenName": "Ann"},
        "Emails": [{"Value": "ann@contoso.com", "Type": "work", "Primary": "True"}],
    }

    response = scim_client.send("post", "/scim/v2/Users", body)

    assert response.status_code == 201
    user = User.objects.get(user_name="ann@contoso.com")
    assert user.given_name == "Ann"
    assert [(e.value, e.type, e.primary) for e in user.emails.all()] == [
        ("ann@contoso.com", "work", True)
    ]


def test_string_false_for_active_on_create(scim_client, tenant):
    scim_client.send("post", "/scim/v2/Users", entra_user(active="False"))

    assert User.objects.get(user_name="Test_User_1@contoso.com").is_active is False


def test_ref_null_in_members_is_tolerated(scim_client, tenant, agent):
    body = {"displayName": "Sales", "members": [{"$ref": None, "value": str(agent.public_id)}]}

    response = scim_client.send("post", "/scim/v2/Groups", body)

    assert response.status_code == 201


def test_other_tenant_id_is_not_revealed(scim_client, outsider):
    response = scim_client.get(f"/scim/v2/Users/{outsider.public_id}")

    assert response.status_code == 404
    assert outsider.user_name not in response.content.decode()


def test_unknown_scim_path_under_the_api_is_a_scim_404(scim_client, tenant):
    response = scim_client.post("/scim/v2/Bulk")

    assert response.status_code == 404
    assert response.json()["schemas"] == [ERROR]


def test_agent_factory_user_can_be_patched_with_capitalised_sub_attribute(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "Replace", "path": "name.GivenName", "value": "Ann"}),
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.given_name == "Ann"


def test_too_long_phone_number_is_400(scim_client, tenant):
    body = entra_user(phoneNumbers=[{"type": "mobile", "value": "5" * 101}])

    response = scim_client.send("post", "/scim/v2/Users", body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
