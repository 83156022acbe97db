"""Entra's view of users who hold a custom role through a group: unchanged. SCIM's `roles`
is what Entra assigned; a member PATCH of a linked group costs four queries more, at any size."""

import pytest
from django.core.management import call_command

from apps.groups.models import Group
from apps.roles.services import link_group_role
from apps.users.models import User
from tests.factories import AgentFactory, CustomRoleFactory, GroupFactory, MembershipFactory
from tests.scim.entra import patch_body


@pytest.fixture
def linked_member(tenant, agent):
    group = GroupFactory(tenant=tenant, display_name="Support EMEA")
    MembershipFactory(group=group, user=agent)
    return agent


def test_scim_roles_leave_out_a_role_held_through_a_group(
    scim_client, tenant, tenant_admin, linked_member
):
    before = scim_client.get(f"/scim/v2/Users/{linked_member.public_id}")
    group = Group.objects.get(display_name="Support EMEA")
    role = CustomRoleFactory(tenant=tenant, name="Tier 2")

    link_group_role(tenant=tenant, actor=tenant_admin, group=group, role=role)

    after = scim_client.get(f"/scim/v2/Users/{linked_member.public_id}")
    assert (after.json(), after["ETag"]) == (before.json(), before["ETag"])


def test_scim_roles_show_only_the_role_entra_assigned(
    scim_client, tenant, tenant_admin, linked_member
):
    direct = CustomRoleFactory(tenant=tenant, name="Supervisor")
    linked_member.custom_role = direct
    linked_member.save()
    group = Group.objects.get(display_name="Support EMEA")
    link_group_role(
        tenant=tenant, actor=tenant_admin, group=group, role=CustomRoleFactory(tenant=tenant)
    )

    body = scim_client.get(f"/scim/v2/Users/{linked_member.public_id}").json()

    assert sorted(r["value"] for r in body["roles"]) == ["Supervisor", "agent"]


def test_entra_adding_a_member_to_a_linked_group_gives_the_role(
    scim_client, tenant, tenant_admin, linked_member, newcomer
):
    group = Group.objects.get(display_name="Support EMEA")
    role = CustomRoleFactory(tenant=tenant, name="Tier 2")
    link_group_role(tenant=tenant, actor=tenant_admin, group=group, role=role)

    scim_client.send(
        "patch",
        f"/scim/v2/Groups/{group.public_id}",
        patch_body(
            {
                "op": "Add",
                "path": "members",
                "value": [{"value": str(newcomer.public_id)}],
            }
        ),
    )

    newcomer.refresh_from_db()
    assert newcomer.group_role == role


@pytest.fixture
def newcomer(tenant):
    return AgentFactory(tenant=tenant)


@pytest.fixture
def warm(scim_client, prepared_lookups, buffered_request_log):
    # The first two requests load the token (and write its last use); later ones do not.
    scim_client.get("/scim/v2/ServiceProviderConfig")
    scim_client.get("/scim/v2/ServiceProviderConfig")
    return scim_client


def hundred_members_patch(tenant, *, linked: bool, tenant_admin):
    call_command(
        "seed_directory", tenant.subdomain, users=100, groups=1, members=0, no_progress=True
    )
    group = Group.objects.for_tenant(tenant).get()
    if linked:
        role = CustomRoleFactory(tenant=tenant, name="Tier 2")
        link_group_role(tenant=tenant, actor=tenant_admin, group=group, role=role)
    values = [{"value": str(u.public_id)} for u in User.objects.filter(source="command")]
    return group, patch_body({"op": "Add", "path": "members", "value": values})


# PostgreSQL's budget (as in CI); on SQLite the request's transaction adds a savepoint.
@pytest.mark.postgres
def test_entra_adding_100_members_to_an_unlinked_group_takes_the_queries_of_one(
    warm, tenant, tenant_admin, django_assert_num_queries
):
    group, body = hundred_members_patch(tenant, linked=False, tenant_admin=tenant_admin)

    # The budget of one member added (tests/scim/test_query_budget.py): eight.
    with django_assert_num_queries(8):
        response = warm.send("patch", f"/scim/v2/Groups/{group.public_id}", body)

    assert (response.status_code, group.memberships.count()) == (204, 100)


# PostgreSQL's budget (as in CI); on SQLite the request's transaction adds a savepoint.
@pytest.mark.postgres
def test_entra_adding_100_members_to_a_linked_group_takes_four_queries_more(
    warm, tenant, tenant_admin, django_assert_num_queries
):
    group, body = hundred_members_patch(tenant, linked=True, tenant_admin=tenant_admin)

    # The eight, then the count and the sample of changed roles, the UPDATE, their audit row.
    with django_assert_num_queries(12):
        response = warm.send("patch", f"/scim/v2/Groups/{group.public_id}", body)

    assert (response.status_code, User.objects.filter(group_role__isnull=False).count()) == (
        204,
        100,
    )
