import uuid

import pytest

from tests.factories import CustomRoleFactory
from tests.scim.entra import patch_body

ROLE_SCHEMA = "urn:commbox:params:scim:schemas:core:2.0:Role"


def test_roles_lists_builtin_and_custom_roles(scim_client, tenant, custom_role):
    body = scim_client.get("/scim/v2/Roles").json()

    assert body["totalResults"] == 4
    assert [(r["value"], r["type"]) for r in body["Resources"]] == [
        ("end-user", "builtin"),
        ("agent", "builtin"),
        ("admin", "builtin"),
        ("Team Lead", "custom"),
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
    assert response.json()["value"] == "Team Lead"


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
