"""Permission profiles from groups on the pages: the Roles page, a group's page, a user's
page, the user list, Django admin and the Activity page."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditAction, AuditEvent
from apps.roles.models import GroupRoleLink
from apps.roles.services import link_group_role
from apps.users.models import User
from tests.factories import CustomRoleFactory, GroupFactory, MembershipFactory


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


@pytest.fixture
def tier2(tenant):
    return CustomRoleFactory(tenant=tenant, name="Tier 2")


@pytest.fixture
def emea(tenant, agent):
    group = GroupFactory(tenant=tenant, display_name="Support EMEA")
    MembershipFactory(group=group, user=agent)
    return group


@pytest.fixture
def linked(tenant, tenant_admin, emea, tier2):
    return link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)


def test_the_roles_page_links_a_group(admin_client, agent, emea, tier2):
    response = admin_client.post(
        reverse("roles:link_group"), {"group": emea.public_id, "role": tier2.public_id}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=agent.pk).group_role == tier2


def test_a_groups_page_links_it_and_returns_there(admin_client, emea, tier2):
    back = reverse("groups:detail", args=[emea.public_id])

    response = admin_client.post(
        reverse("roles:link_group"),
        {"group": emea.public_id, "role": tier2.public_id, "next": back},
    )

    assert (response.url, GroupRoleLink.objects.get().role) == (back, tier2)


def test_linking_to_another_accounts_role_is_refused(admin_client, emea, outsider):
    foreign = CustomRoleFactory(tenant=outsider.tenant, name="Tier 2")

    admin_client.post(
        reverse("roles:link_group"), {"group": emea.public_id, "role": foreign.public_id}
    )

    assert not GroupRoleLink.objects.exists()


def test_another_accounts_link_cannot_be_unlinked(client, outsider, linked):
    client.force_login(outsider)

    response = client.post(reverse("roles:unlink_group", args=[linked.group.public_id]))

    assert (response.status_code, GroupRoleLink.objects.count()) == (404, 1)


def test_unlinking_from_the_roles_page(admin_client, agent, linked):
    admin_client.post(reverse("roles:unlink_group", args=[linked.group.public_id]))

    assert User.objects.get(pk=agent.pk).group_role is None


def test_moving_a_link_down_from_the_roles_page(admin_client, tenant, tenant_admin, linked):
    other = GroupFactory(tenant=tenant, display_name="Escalations")
    link_group_role(tenant=tenant, actor=tenant_admin, group=other, role=linked.role)

    admin_client.post(reverse("roles:move_link_down", args=[linked.group.public_id]))

    assert [link.group for link in GroupRoleLink.objects.in_order()] == [other, linked.group]


def test_the_roles_page_lists_links_in_order(admin_client, linked):
    response = admin_client.get(reverse("roles:list"))

    assert [link.group.display_name for link in response.context["group_links"]] == ["Support EMEA"]


def test_a_groups_page_names_its_role(admin_client, linked):
    response = admin_client.get(reverse("groups:detail", args=[linked.group.public_id]))

    assert "Members hold the custom role <strong>Tier 2</strong>" in response.content.decode()


def test_a_members_page_shows_the_role_and_its_group(admin_client, agent, linked):
    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    assert (
        "Effective custom role: <strong>Tier 2</strong>, from the group Support EMEA."
        in response.content.decode()
    )


def test_the_user_list_shows_where_a_role_comes_from(admin_client, linked):
    response = admin_client.get(reverse("users:list"))

    assert "from the group Support EMEA" in response.content.decode()


def test_the_activity_page_tells_the_cause_of_a_change(admin_client, linked):
    response = admin_client.get(
        reverse("audit:list"), {"action": AuditAction.EFFECTIVE_ROLES_CHANGED}
    )

    assert (
        "The effective custom role of 1 user changed: the group Support EMEA was linked to Tier 2"
        in response.content.decode()
    )


def test_a_link_is_audited_on_the_group(tenant, linked):
    event = AuditEvent.objects.get(action=AuditAction.GROUP_ROLE_LINKED)

    assert (event.target_id, event.changes) == (
        str(linked.group.public_id),
        {"custom_role": [None, "Tier 2"]},
    )
