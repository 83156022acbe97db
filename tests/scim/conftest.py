import pytest

from tests.factories import CustomRoleFactory


@pytest.fixture
def token(api_token):
    return api_token[0]


@pytest.fixture
def custom_role(tenant):
    return CustomRoleFactory(tenant=tenant, name="Team Lead")


@pytest.fixture
def prepared_lookups(scim_client):
    """Each prepared lookup runs its query once more the first time in a process
    (apps.scim.prepared_lookups): ask each shape once, so counts see only the steady state."""
    nobody = "00000000-0000-4000-8000-000000000000"
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "nobody"}],
    }
    scim_client.get('/scim/v2/Users?filter=userName eq "nobody"')
    scim_client.get('/scim/v2/Groups?filter=displayName eq "nobody"')
    for kind in ("Users", "Groups"):
        scim_client.get(f"/scim/v2/{kind}/{nobody}")
        assert scim_client.send("patch", f"/scim/v2/{kind}/{nobody}", patch).status_code == 404
    return scim_client
