import uuid

import pytest

from apps.roles.views import entra_app_roles
from tests.factories import CustomRoleFactory
from tests.scim.entra import entra_user, patch_body

ROLE_SCHEMA = "urn:commbox:params:scim:schemas:core:2.0:Role"


def test_roles_lists_builtin_and_custom_roles(scim_client, tenant, custom_role):
    body = scim_client.get("/scim/v2/Roles").json()

    assert body["totalResults"] == 4
    assert [(r["value"], r["type"]) for r in body["Resources"]] == [
        ("end-user", "builtin"),
        ("agent", "builtin"),
        ("admin", "builtin"),
        ("Team_Lead", "custom"),
    ]
    custom = body["Resources"][3]
    assert custom["schemas"] == [ROLE_SCHEMA]
    assert custom["id"] == str(custom_role.public_id)
    assert custom["displayName"] == "Team Lead"
    assert custom["description"] == "A custom role"
    assert custom["meta"]["resourceType"] == "Role"
    assert custom["meta"]["location"].endswith(f"/scim/v2/Roles/{custom_role.public_id}")


def test_roles_of_other_tenants_are_not_listed(scim_client, tenant, outsider):
    CustomRoleFactory(tenant=outsider.tenant, name="Elsewhere")

    values = [r["value"] for r in scim_client.get("/scim/v2/Roles").json()["Resources"]]

    assert "Elsewhere" not in values


def test_filter_roles_on_display_name_ignores_case(scim_client, tenant, custom_role):
    body = scim_client.get('/scim/v2/Roles?filter=displayName eq "team lead"').json()

    assert [r["id"] for r in body["Resources"]] == [str(custom_role.public_id)]


def test_filter_roles_on_value(scim_client, tenant):
    body = scim_client.get('/scim/v2/Roles?filter=value eq "Admin"').json()

    assert [r["value"] for r in body["Resources"]] == ["admin"]


def test_get_role_by_id(scim_client, custom_role):
    response = scim_client.get(f"/scim/v2/Roles/{custom_role.public_id}")

    assert response.status_code == 200
    assert response.json()["value"] == "Team_Lead"


def test_other_tenants_role_is_404(scim_client, outsider):
    role = CustomRoleFactory(tenant=outsider.tenant)

    assert scim_client.get(f"/scim/v2/Roles/{role.public_id}").status_code == 404


def test_unknown_role_id_is_404(scim_client, tenant):
    assert scim_client.get(f"/scim/v2/Roles/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_roles_are_read_only(scim_client, custom_role, method):
    url = "/scim/v2/Roles" if method == "post" else f"/scim/v2/Roles/{custom_role.public_id}"

    response = scim_client.send(
        method, url, patch_body({"op": "replace", "path": "x", "value": "y"})
    )

    assert response.status_code == 405
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.json()["status"] == "405"


@pytest.fixture
def specialist(tenant):
    return CustomRoleFactory(tenant=tenant, name="Tier 2 Specialist")


def test_a_custom_roles_value_is_the_one_the_app_roles_manifest_gives_entra(
    scim_client, tenant, specialist
):
    manifest = {r["id"]: r["value"] for r in entra_app_roles(tenant)}
    resource = scim_client.get(f"/scim/v2/Roles/{specialist.public_id}").json()

    assert manifest[str(specialist.public_id)] == "Tier_2_Specialist"
    assert resource["value"] == "Tier_2_Specialist"
    assert resource["displayName"] == "Tier 2 Specialist"


def test_every_role_has_the_same_value_in_the_manifest_and_in_scim(
    scim_client, tenant, specialist, custom_role
):
    manifest = sorted(r["value"] for r in entra_app_roles(tenant))
    served = sorted(r["value"] for r in scim_client.get("/scim/v2/Roles").json()["Resources"])

    assert manifest == served


def test_a_user_given_the_app_roles_value_gets_it_back_unchanged_and_primary(
    scim_client, tenant, specialist
):
    body = entra_user(
        roles=[
            {
                "primary": True,
                "type": "WindowsAzureActiveDirectoryRole",
                "value": "Tier_2_Specialist",
            }
        ]
    )

    created = scim_client.send("post", "/scim/v2/Users", body).json()

    primary = [r for r in created["roles"] if r["primary"]]
    assert [r["value"] for r in primary] == ["Tier_2_Specialist"]
    assert {r["value"] for r in created["roles"]} == {"agent", "Tier_2_Specialist"}


def test_the_built_in_role_is_primary_when_there_is_no_custom_role(scim_client, tenant):
    created = scim_client.send("post", "/scim/v2/Users", entra_user()).json()

    assert created["roles"] == [
        {"value": "agent", "display": "Agent", "type": "builtin", "primary": True}
    ]


def test_a_filter_on_the_app_roles_value_finds_the_role(scim_client, tenant, specialist):
    body = scim_client.get('/scim/v2/Roles?filter=value eq "Tier_2_Specialist"').json()

    assert [r["id"] for r in body["Resources"]] == [str(specialist.public_id)]


def test_a_filter_on_users_by_the_app_roles_value_finds_the_holder(scim_client, tenant, specialist):
    body = entra_user(roles=[{"primary": True, "value": "Tier_2_Specialist"}])
    created = scim_client.send("post", "/scim/v2/Users", body).json()

    found = scim_client.get('/scim/v2/Users?filter=roles[value eq "Tier_2_Specialist"]').json()

    assert [r["id"] for r in found["Resources"]] == [created["id"]]


def test_schemas_say_which_roles_entry_is_primary_and_why(scim_client, tenant):
    schema = scim_client.get("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()

    (roles,) = [a for a in schema["attributes"] if a["name"] == "roles"]
    assert "primary" in roles["description"]
    assert "SingleAppRoleAssignment" in roles["description"]
