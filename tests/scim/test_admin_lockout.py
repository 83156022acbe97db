"""An API token cannot lock the account's people out (issue: the last admin who can sign in)."""

from apps.roles.models import BuiltinRole
from apps.users.models import User
from tests.factories import AdminFactory, AgentFactory
from tests.scim.entra import CORE_USER, patch_body


def admin_body(user_name="shadow@contoso.com"):
    return {"schemas": [CORE_USER], "userName": user_name, "roles": [{"value": "admin"}]}


def test_scim_cannot_create_an_admin_while_the_account_does_not_allow_it(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", admin_body())

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "may not make shadow@contoso.com an admin" in response.json()["detail"]
    assert not User.objects.filter(user_name="shadow@contoso.com").exists()


def test_scim_cannot_promote_an_agent_while_the_account_does_not_allow_it(scim_client, tenant):
    agent = AgentFactory(tenant=tenant)

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{agent.public_id}",
        patch_body({"op": "replace", "path": "roles", "value": [{"value": "admin"}]}),
    )

    assert response.status_code == 400
    assert "may not make" in response.json()["detail"]
    agent.refresh_from_db()
    assert agent.role == BuiltinRole.AGENT


def test_scim_creates_an_admin_when_the_account_allows_it(scim_client, scim_may_grant_admin):
    response = scim_client.send("post", "/scim/v2/Users", admin_body())

    assert response.status_code == 201
    assert User.objects.get(user_name="shadow@contoso.com").role == BuiltinRole.ADMIN


def test_scim_cannot_deactivate_the_last_admin_who_can_sign_in_behind_a_scim_admin(
    scim_client, tenant_admin, scim_may_grant_admin
):
    scim_client.send("post", "/scim/v2/Users", admin_body())

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        patch_body({"op": "replace", "path": "active", "value": False}),
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "last active admin who can sign in" in response.json()["detail"]
    tenant_admin.refresh_from_db()
    assert tenant_admin.is_active


def test_scim_cannot_demote_the_last_admin_who_can_sign_in_behind_a_scim_admin(
    scim_client, tenant_admin, scim_may_grant_admin
):
    scim_client.send("post", "/scim/v2/Users", admin_body())

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        patch_body({"op": "replace", "path": "roles", "value": [{"value": "agent"}]}),
    )

    assert response.status_code == 400
    assert "last active admin who can sign in" in response.json()["detail"]
    tenant_admin.refresh_from_db()
    assert tenant_admin.role == BuiltinRole.ADMIN


def test_scim_cannot_delete_the_last_admin_who_can_sign_in_behind_a_scim_admin(
    scim_client, tenant_admin, scim_may_grant_admin
):
    scim_client.send("post", "/scim/v2/Users", admin_body())

    response = scim_client.delete(f"/scim/v2/Users/{tenant_admin.public_id}")

    assert response.status_code == 400
    assert "cannot be deleted" in response.json()["detail"]
    assert User.objects.filter(pk=tenant_admin.pk).exists()


def test_scim_can_deactivate_an_admin_while_another_admin_can_sign_in(scim_client, tenant_admin):
    other = AdminFactory(tenant=tenant_admin.tenant)

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{other.public_id}",
        patch_body({"op": "replace", "path": "active", "value": False}),
    )

    assert response.status_code == 200
    other.refresh_from_db()
    assert not other.is_active
