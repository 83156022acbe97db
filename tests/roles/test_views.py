import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.roles.models import BuiltinRole, Role, normalize_role_name
from apps.roles.views import entra_app_roles
from apps.tenants import counting
from apps.users.models import User
from tests.factories import AgentFactory, CustomRoleFactory, UserFactory

LIST_QUERY_BOUND = 8


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


@pytest.fixture
def custom_role(tenant):
    return CustomRoleFactory(tenant=tenant, name="Team lead", description="Leads a team")


def make_roles(tenant, count, *, start=0):
    """Custom roles with one holder each, made in bulk."""
    roles = Role.objects.bulk_create(
        Role(
            tenant=tenant,
            name=f"Bulk {start + i:03}",
            normalized_name=normalize_role_name(f"Bulk {start + i:03}"),
        )
        for i in range(count)
    )
    User.objects.bulk_create(
        User(
            tenant=tenant,
            user_name=f"holder{start + i:03}",
            role=BuiltinRole.AGENT,
            custom_role=role,
            password="!",
        )
        for i, role in enumerate(roles)
    )


# Access


def test_agent_who_is_not_an_admin_gets_403(client, agent):
    client.force_login(agent)

    response = client.get(reverse("roles:list"))

    assert response.status_code == 403


def test_another_tenants_role_is_404(admin_client, outsider):
    foreign = CustomRoleFactory(tenant=outsider.tenant)

    response = admin_client.post(
        reverse("roles:edit", args=[foreign.public_id]), {"name": "Mine now"}
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name != "Mine now"


def test_a_builtin_role_has_no_edit_page(admin_client, tenant):
    agent_role = Role.objects.get(tenant=tenant, builtin=BuiltinRole.AGENT)

    response = admin_client.get(reverse("roles:edit", args=[agent_role.public_id]))

    assert response.status_code == 404


def test_a_builtin_role_cannot_be_deleted(admin_client, tenant):
    agent_role = Role.objects.get(tenant=tenant, builtin=BuiltinRole.AGENT)

    response = admin_client.post(reverse("roles:delete", args=[agent_role.public_id]))

    assert response.status_code == 404
    assert Role.objects.filter(pk=agent_role.pk).exists()


# List


def test_list_counts_users_per_builtin_role_and_holders_per_custom_role(
    admin_client, tenant, tenant_admin, custom_role
):
    AgentFactory(tenant=tenant)
    AgentFactory(tenant=tenant, custom_role=custom_role)
    UserFactory(tenant=tenant)

    response = admin_client.get(reverse("roles:list"))

    builtin = {r.builtin: r.member_count for r in response.context["builtin_roles"]}
    custom = {r.name: r.member_count for r in response.context["custom_roles"]}
    assert builtin == {"end-user": 1, "agent": 2, "admin": 1}
    assert custom == {"Team lead": 1}


def test_list_offers_edit_and_delete_for_custom_roles_only(admin_client, tenant, custom_role):
    agent_role = Role.objects.get(tenant=tenant, builtin=BuiltinRole.AGENT)

    body = admin_client.get(reverse("roles:list")).content.decode()

    assert reverse("roles:edit", args=[custom_role.public_id]) in body
    assert reverse("roles:edit", args=[agent_role.public_id]) not in body
    assert reverse("roles:delete", args=[agent_role.public_id]) not in body


def test_list_query_count_does_not_grow_with_the_number_of_roles(admin_client, tenant):
    make_roles(tenant, 10)
    with CaptureQueriesContext(connection) as ten:
        admin_client.get(reverse("roles:list"))
    make_roles(tenant, 90, start=10)

    with CaptureQueriesContext(connection) as hundred:
        response = admin_client.get(reverse("roles:list"))

    assert len(response.context["custom_roles"]) == 100
    assert len(hundred) == len(ten) <= LIST_QUERY_BOUND


# Create, edit, delete


def test_creating_a_custom_role_writes_a_ui_audit_row(admin_client, tenant, tenant_admin):
    response = admin_client.post(
        reverse("roles:create"), {"name": "Supervisor", "description": "Watches queues"}
    )

    assert response.status_code == 302
    role = Role.objects.for_tenant(tenant).custom().get()
    assert (role.name, role.description) == ("Supervisor", "Watches queues")
    event = AuditEvent.objects.get(action="role.created")
    assert (event.channel, event.actor_id) == ("ui", str(tenant_admin.public_id))


@pytest.mark.parametrize("name", ["Agent", " agent ", "End User", "end_user", "ENDUSER", "ad-min"])
def test_a_name_like_a_builtin_role_is_refused_in_the_form(admin_client, tenant, name):
    response = admin_client.post(reverse("roles:create"), {"name": name})

    assert response.status_code == 400
    assert "too close to the built-in role" in response.content.decode()
    assert not Role.objects.for_tenant(tenant).custom().exists()


def test_a_name_like_another_custom_role_is_refused(admin_client, tenant, custom_role):
    response = admin_client.post(reverse("roles:create"), {"name": "team-LEAD"})

    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Role.objects.for_tenant(tenant).custom().count() == 1


def test_renaming_a_custom_role(admin_client, custom_role):
    admin_client.post(
        reverse("roles:edit", args=[custom_role.public_id]),
        {"name": "Shift lead", "description": "Leads a shift"},
    )

    custom_role.refresh_from_db()
    assert (custom_role.name, custom_role.description) == ("Shift lead", "Leads a shift")
    assert AuditEvent.objects.get(action="role.updated").changes["name"] == [
        "Team lead",
        "Shift lead",
    ]


def test_renaming_to_a_builtin_name_is_refused(admin_client, custom_role):
    response = admin_client.post(
        reverse("roles:edit", args=[custom_role.public_id]), {"name": "Admin"}
    )

    assert response.status_code == 400
    custom_role.refresh_from_db()
    assert custom_role.name == "Team lead"


def test_delete_confirmation_says_how_many_hold_the_role(admin_client, tenant, custom_role):
    AgentFactory(tenant=tenant, custom_role=custom_role)
    AgentFactory(tenant=tenant, custom_role=custom_role)

    response = admin_client.get(reverse("roles:delete", args=[custom_role.public_id]))

    body = response.content.decode()
    assert "2 users hold this role." in body
    assert "become plain agents" in body
    assert Role.objects.filter(pk=custom_role.pk).exists()


def test_deleting_a_used_custom_role_makes_its_holders_plain_agents(
    admin_client, tenant, custom_role
):
    holder = AgentFactory(tenant=tenant, custom_role=custom_role)

    response = admin_client.post(reverse("roles:delete", args=[custom_role.public_id]), follow=True)

    holder.refresh_from_db()
    assert (holder.role, holder.custom_role) == (BuiltinRole.AGENT, None)
    assert not Role.objects.filter(pk=custom_role.pk).exists()
    assert "is now a plain agent" in response.content.decode()
    event = AuditEvent.objects.get(action="role.deleted")
    assert (event.channel, event.changes["holders_moved_to_agent"]) == ("ui", [holder.user_name])


# Roles for Entra ID


def test_entra_app_roles_lists_every_role_with_its_stable_id(tenant, custom_role):
    app_roles = entra_app_roles(tenant)

    assert app_roles[-1] == {
        "allowedMemberTypes": ["User"],
        "description": "Leads a team",
        "displayName": "Team lead",
        "id": str(custom_role.public_id),
        "isEnabled": True,
        "value": "Team_lead",
    }
    assert [(r["displayName"], r["value"]) for r in app_roles] == [
        ("End-user", "end-user"),
        ("Agent", "agent"),
        ("Admin", "admin"),
        ("Team lead", "Team_lead"),
    ]


def test_entra_app_role_values_match_their_role_when_provisioned(tenant, custom_role):
    values = [r["value"] for r in entra_app_roles(tenant)]

    assert {normalize_role_name(v) for v in values} == set(
        Role.objects.for_tenant(tenant).values_list("normalized_name", flat=True)
    )


def test_roles_page_shows_the_app_roles_json_ready_to_paste(admin_client, tenant, custom_role):
    response = admin_client.get(reverse("roles:list"))

    assert json.loads(response.context["app_roles_json"]) == entra_app_roles(tenant)
    assert 'data-copy-target="entra-app-roles"' in response.content.decode()


def test_roles_page_warns_about_a_value_entra_refuses(admin_client, tenant):
    CustomRoleFactory(tenant=tenant, name="Équipe")

    response = admin_client.get(reverse("roles:list"))

    assert response.context["refused_values"] == ["Équipe"]


def test_roles_page_says_more_than_the_bound_for_a_builtin_role(admin_client, tenant, monkeypatch):
    monkeypatch.setattr(counting, "COUNT_BOUND", 2)
    AgentFactory.create_batch(3, tenant=tenant)

    response = admin_client.get(reverse("roles:list"))

    assert '<td data-label="Users" class="num">More than 2</td>' in response.content.decode()


def test_roles_page_query_count_does_not_grow_with_the_number_of_users(
    admin_client, tenant, custom_role
):
    AgentFactory.create_batch(3, tenant=tenant, custom_role=custom_role)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse("roles:list"))
    AgentFactory.create_batch(30, tenant=tenant, custom_role=custom_role)

    with CaptureQueriesContext(connection) as more:
        admin_client.get(reverse("roles:list"))

    assert len(more) == len(few) <= LIST_QUERY_BOUND
