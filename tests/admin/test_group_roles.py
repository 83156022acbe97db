"""Django admin shows the effective custom role with its source, and links read-only."""

import pytest
from django.urls import reverse

from apps.roles.services import link_group_role
from tests.factories import CustomRoleFactory, GroupFactory, MembershipFactory


@pytest.fixture
def linked(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant, display_name="Support EMEA")
    MembershipFactory(group=group, user=agent)
    role = CustomRoleFactory(tenant=tenant, name="Tier 2")
    return link_group_role(tenant=tenant, actor=tenant_admin, group=group, role=role)


def test_django_admin_shows_the_effective_role_and_its_source(client, superuser, agent, linked):
    client.force_login(superuser)

    response = client.get(reverse("admin:users_user_change", args=[agent.pk]))

    assert "Tier 2, from the group Support EMEA" in response.content.decode()


def test_django_admin_lists_links_read_only(client, superuser, linked):
    client.force_login(superuser)

    response = client.get(reverse("admin:roles_grouprolelink_add"))

    assert response.status_code == 403
