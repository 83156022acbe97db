"""An API token cannot move an admin's identity onto someone Entra signs in.

Single sign-on finds a person by userName, email or externalId; where the account does not
let Entra make admins, SCIM may not change those attributes of an admin either.
"""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent, Channel
from apps.roles.models import BuiltinRole
from apps.users.services import update_user
from tests.factories import UserEmailFactory
from tests.scim.entra import CORE_USER, patch_body

# A refusal's audit row is committed on a connection of its own, outside a test's
# transaction: each test here starts from an empty database and leaves one.
pytestmark = pytest.mark.django_db(transaction=True)


def replace(path, value):
    return patch_body({"op": "Replace", "path": path, "value": value})


def test_scim_cannot_give_an_admin_the_user_name_of_an_end_user(
    scim_client, tenant_admin, end_user
):
    entra_name = end_user.user_name
    parked = scim_client.send(
        "patch", f"/scim/v2/Users/{end_user.public_id}", replace("userName", "parked@contoso.com")
    )
    assert parked.status_code == 200

    response = scim_client.send(
        "patch", f"/scim/v2/Users/{tenant_admin.public_id}", replace("userName", entra_name)
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "may not change the userName of admin@my-tenant.example" in response.json()["detail"]
    assert "Settings → API → Provisioning" in response.json()["detail"]
    tenant_admin.refresh_from_db()
    assert tenant_admin.user_name == "admin@my-tenant.example"
    assert tenant_admin.role == BuiltinRole.ADMIN


def test_scim_cannot_change_an_admins_external_id(scim_client, tenant_admin):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        replace("externalId", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"),
    )

    assert response.status_code == 400
    assert "may not change the externalId" in response.json()["detail"]
    tenant_admin.refresh_from_db()
    assert tenant_admin.external_id == ""


def test_scim_cannot_add_an_email_to_an_admin(scim_client, tenant_admin):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        patch_body(
            {
                "op": "Add",
                "path": 'emails[type eq "work"].value',
                "value": "grace@contoso.com",
            }
        ),
    )

    assert response.status_code == 400
    assert "may not change the emails" in response.json()["detail"]
    assert not tenant_admin.emails.exists()


def test_a_put_that_replaces_an_admins_emails_is_refused(scim_client, tenant_admin):
    UserEmailFactory(user=tenant_admin, value="admin@my-tenant.example", primary=True)
    body = {
        "schemas": [CORE_USER],
        "userName": tenant_admin.user_name,
        "emails": [{"value": "grace@contoso.com", "type": "work", "primary": True}],
    }

    response = scim_client.send("put", f"/scim/v2/Users/{tenant_admin.public_id}", body)

    assert response.status_code == 400
    assert "may not change the emails" in response.json()["detail"]
    assert list(tenant_admin.emails.values_list("value", flat=True)) == ["admin@my-tenant.example"]


def test_a_put_that_repeats_an_admins_identity_is_accepted(scim_client, tenant_admin):
    UserEmailFactory(user=tenant_admin, value="admin@my-tenant.example", primary=True)
    body = {
        "schemas": [CORE_USER],
        "userName": tenant_admin.user_name,
        "emails": [{"value": "admin@my-tenant.example", "type": "work", "primary": True}],
        "displayName": "Terry Owen",
    }

    response = scim_client.send("put", f"/scim/v2/Users/{tenant_admin.public_id}", body)

    assert response.status_code == 200
    tenant_admin.refresh_from_db()
    assert tenant_admin.display_name == "Terry Owen"


def test_scim_cannot_rename_an_agent_it_makes_an_admin_in_the_same_request(scim_client, agent):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{agent.public_id}",
        patch_body(
            {"op": "Replace", "path": "roles", "value": [{"value": "admin"}]},
            {"op": "Replace", "path": "userName", "value": "renamed@contoso.com"},
        ),
    )

    assert response.status_code == 400
    agent.refresh_from_db()
    assert (agent.role, agent.user_name) != (BuiltinRole.ADMIN, "renamed@contoso.com")


def test_scim_still_renames_an_agent(scim_client, agent):
    response = scim_client.send(
        "patch", f"/scim/v2/Users/{agent.public_id}", replace("userName", "renamed@contoso.com")
    )

    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.user_name == "renamed@contoso.com"


def test_scim_renames_an_admin_where_entra_may_make_admins(
    scim_client, tenant_admin, scim_may_grant_admin
):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        replace("userName", "terry@contoso.com"),
    )

    assert response.status_code == 200
    tenant_admin.refresh_from_db()
    assert tenant_admin.user_name == "terry@contoso.com"


def test_an_admin_of_the_account_still_renames_an_admin(tenant, tenant_admin, staff):
    update_user(
        tenant=tenant,
        actor=staff,
        user=tenant_admin,
        attributes={"user_name": "terry@contoso.com"},
    )

    tenant_admin.refresh_from_db()
    assert tenant_admin.user_name == "terry@contoso.com"


@pytest.mark.postgres
def test_the_refused_change_is_in_the_audit_trail_although_the_request_is_undone(
    scim_client, tenant, tenant_admin
):
    scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        replace("userName", "grace@contoso.com"),
    )

    event = AuditEvent.objects.for_tenant(tenant).get(action="user.update_refused")
    assert event.channel == Channel.SCIM
    assert event.actor_type == "token"
    assert event.target_id == str(tenant_admin.public_id)
    assert event.changes["user_name"] == ["admin@my-tenant.example", "grace@contoso.com"]
    assert "may not change the userName" in event.changes["reason"]
    assert not AuditEvent.objects.for_tenant(tenant).filter(action="user.updated").exists()


@pytest.mark.postgres
def test_the_activity_page_says_the_change_was_refused(scim_client, client, tenant, tenant_admin):
    scim_client.send(
        "patch",
        f"/scim/v2/Users/{tenant_admin.public_id}",
        replace("userName", "grace@contoso.com"),
    )
    client.force_login(tenant_admin)

    response = client.get(reverse("audit:list"))

    assert "Entra was refused a change to" in response.content.decode()
