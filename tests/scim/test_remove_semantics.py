"""A remove never widens access: it never re-enables a user and never raises a role.

RFC 7644 §3.5.2.2 makes a removed attribute "unassigned"; null and an empty list are the
same state (§3.5.2). For `active`, unassigned is not active. For `roles`, no role would
mean the tenant's provisioning role, so a removal takes that or the built-in role the user
held, whichever is lower, and drops the custom role.
"""

import pytest

from apps.audit.models import AuditEvent
from apps.users.models import User
from tests.factories import AdminFactory, AgentFactory
from tests.scim.entra import CORE_USER, SCIM, patch_body


def patch_user(client, user, *operations):
    return client.send("patch", f"/scim/v2/Users/{user.public_id}", patch_body(*operations))


@pytest.fixture
def disabled_user(tenant):
    return AgentFactory(tenant=tenant, user_name="gone@contoso.com", is_active=False)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "active"},
        {"op": "Remove", "path": "active"},
        {"op": "replace", "path": "active", "value": None},
        {"op": "add", "path": "active", "value": None},
        {"op": "replace", "value": {"active": None}},
    ],
    ids=["remove", "Remove", "replace-null", "add-null", "pathless-null"],
)
def test_clearing_active_never_re_enables_a_disabled_user(scim_client, disabled_user, operation):
    response = patch_user(scim_client, disabled_user, operation)

    assert response.status_code == 200
    assert response["Content-Type"] == SCIM
    assert response.json()["active"] is False
    disabled_user.refresh_from_db()
    assert disabled_user.is_active is False
    assert not AuditEvent.objects.filter(action="user.updated").exists()


def test_removing_active_from_an_active_user_disables_them(scim_client, agent):
    response = patch_user(scim_client, agent, {"op": "remove", "path": "active"})

    assert response.status_code == 200
    assert response.json()["active"] is False
    agent.refresh_from_db()
    assert agent.is_active is False


def test_entra_re_enable_still_works(scim_client, disabled_user):
    response = patch_user(
        scim_client, disabled_user, {"op": "Replace", "path": "active", "value": "True"}
    )

    assert response.json()["active"] is True
    disabled_user.refresh_from_db()
    assert disabled_user.is_active is True


def test_put_without_active_keeps_a_disabled_user_disabled(scim_client, disabled_user):
    body = {"schemas": [CORE_USER], "userName": "gone@contoso.com", "title": "Former"}

    response = scim_client.send("put", f"/scim/v2/Users/{disabled_user.public_id}", body)

    assert response.status_code == 200
    assert response.json()["active"] is False
    disabled_user.refresh_from_db()
    assert (disabled_user.is_active, disabled_user.title) == (False, "Former")


def test_put_with_active_true_re_enables(scim_client, disabled_user):
    body = {"schemas": [CORE_USER], "userName": "gone@contoso.com", "active": True}

    scim_client.send("put", f"/scim/v2/Users/{disabled_user.public_id}", body)

    disabled_user.refresh_from_db()
    assert disabled_user.is_active is True


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "roles"},
        {"op": "Remove", "path": "roles", "value": [{"value": "end-user"}]},
        {"op": "remove", "path": 'roles[primary eq "True"].value'},
        {"op": "remove", "path": 'roles[value eq "end-user"]'},
        {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": ""},
        {"op": "replace", "path": "roles", "value": []},
        {"op": "replace", "path": "roles", "value": None},
        {"op": "replace", "value": {"roles": []}},
    ],
    ids=[
        "remove",
        "remove-value",
        "remove-primary",
        "remove-filter",
        "replace-primary-empty",
        "replace-empty-list",
        "replace-null",
        "pathless-empty-list",
    ],
)
def test_clearing_roles_never_promotes_an_end_user(scim_client, end_user, operation):
    response = patch_user(scim_client, end_user, operation)

    assert response.status_code == 200
    assert [r["value"] for r in response.json()["roles"]] == ["end-user"]
    end_user.refresh_from_db()
    assert (end_user.role, end_user.custom_role) == ("end-user", None)


def test_removing_roles_from_an_admin_gives_the_provisioning_role(scim_client, tenant):
    admin = AdminFactory(tenant=tenant)

    patch_user(scim_client, admin, {"op": "remove", "path": "roles"})

    admin.refresh_from_db()
    assert admin.role == "agent"


def test_removing_roles_drops_the_custom_role(scim_client, tenant, custom_role):
    lead = AgentFactory(tenant=tenant, custom_role=custom_role)

    patch_user(scim_client, lead, {"op": "remove", "path": "roles"})

    lead.refresh_from_db()
    assert (lead.role, lead.custom_role) == ("agent", None)


def test_removing_the_custom_role_keeps_the_builtin_role(scim_client, tenant, custom_role):
    lead = AdminFactory(tenant=tenant, custom_role=custom_role)

    patch_user(
        scim_client, lead, {"op": "Remove", "path": "roles", "value": [{"value": "Team Lead"}]}
    )

    lead.refresh_from_db()
    assert (lead.role, lead.custom_role) == ("admin", None)


def test_removing_one_role_of_an_end_user_never_raises_it(scim_client, tenant, end_user):
    patch_user(
        scim_client, end_user, {"op": "Remove", "path": "roles", "value": [{"value": "agent"}]}
    )

    end_user.refresh_from_db()
    assert end_user.role == "end-user"


def test_put_with_an_empty_role_list_never_promotes(scim_client, end_user):
    body = {"schemas": [CORE_USER], "userName": end_user.user_name, "roles": []}

    response = scim_client.send("put", f"/scim/v2/Users/{end_user.public_id}", body)

    assert response.status_code == 200
    end_user.refresh_from_db()
    assert end_user.role == "end-user"


def test_create_without_roles_still_gives_the_provisioning_role(scim_client, tenant):
    scim_client.send("post", "/scim/v2/Users", {"userName": "new@contoso.com", "roles": []})

    assert User.objects.get(user_name="new@contoso.com").role == "agent"


def test_adding_a_role_still_promotes(scim_client, end_user):
    patch_user(scim_client, end_user, {"op": "Add", "path": "roles", "value": [{"value": "agent"}]})

    end_user.refresh_from_db()
    assert end_user.role == "agent"
