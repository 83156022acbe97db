"""Permission profiles from groups: a group linked to a custom role gives it to its members,
as their effective custom role, unless they hold one directly; the admin's order of the
links decides between groups; every change recomputes at once and is audited."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditAction, AuditEvent
from apps.audit.wording import sentence
from apps.groups.models import Group
from apps.groups.services import add_group_members, delete_group, remove_group_members
from apps.roles.models import GroupRoleLink, Role
from apps.roles.services import (
    delete_role,
    link_group_role,
    move_group_role_link,
    unlink_group_role,
)
from apps.users.models import User
from apps.users.services import update_user
from tests.factories import AgentFactory, CustomRoleFactory, GroupFactory, MembershipFactory


@pytest.fixture
def tier2(tenant):
    return CustomRoleFactory(tenant=tenant, name="Tier 2")


@pytest.fixture
def tier3(tenant):
    return CustomRoleFactory(tenant=tenant, name="Tier 3")


@pytest.fixture
def emea(tenant, agent):
    group = GroupFactory(tenant=tenant, display_name="Support EMEA")
    MembershipFactory(group=group, user=agent)
    return group


@pytest.fixture
def escalations(tenant, agent):
    group = GroupFactory(tenant=tenant, display_name="Escalations")
    MembershipFactory(group=group, user=agent)
    return group


def held(user):
    user = User.objects.select_related("custom_role", "group_role", "group_role_group").get(
        pk=user.pk
    )
    return user.effective_custom_role, user.effective_role_source


def test_member_of_a_linked_group_holds_its_role_from_that_group(
    tenant, tenant_admin, agent, emea, tier2
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    assert held(agent) == (tier2, "from the group Support EMEA")


def test_linking_keeps_the_members_built_in_role(tenant, tenant_admin, agent, emea, tier2):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    agent.refresh_from_db()
    assert (agent.role, agent.custom_role) == ("agent", None)


def test_a_role_assigned_directly_wins_over_the_groups(tenant, tenant_admin, agent, emea, tier2):
    agent.custom_role = CustomRoleFactory(tenant=tenant, name="Supervisor")
    agent.save()
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    assert held(agent) == (agent.custom_role, "assigned directly")


def test_a_direct_assignment_takes_over_at_once(tenant, tenant_admin, agent, emea, tier2, tier3):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"custom_role": tier3})

    assert held(agent) == (tier3, "assigned directly")


def test_removing_the_direct_role_gives_back_the_groups(
    tenant, tenant_admin, agent, emea, tier2, tier3
):
    agent.custom_role = tier3
    agent.save()
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"custom_role": None})

    assert held(agent) == (tier2, "from the group Support EMEA")


def test_the_first_link_in_the_admins_order_wins(
    tenant, tenant_admin, agent, emea, escalations, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=escalations, role=tier3)
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    assert held(agent) == (tier3, "from the group Escalations")


def test_moving_a_link_up_makes_it_win(
    tenant, tenant_admin, agent, emea, escalations, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=escalations, role=tier3)
    link = link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    move_group_role_link(tenant=tenant, actor=tenant_admin, link=link, up=True)

    assert held(agent) == (tier2, "from the group Support EMEA")


def test_moving_the_first_link_up_changes_nothing(tenant, tenant_admin, emea, tier2):
    link = link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    move_group_role_link(tenant=tenant, actor=tenant_admin, link=link, up=True)

    assert GroupRoleLink.objects.get().position == link.position


def test_leaving_the_group_takes_its_role_away(tenant, tenant_admin, agent, emea, tier2):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    remove_group_members(tenant=tenant, actor=tenant_admin, group=emea, users=[agent])

    assert held(agent) == (None, "")


def test_joining_a_linked_group_gives_its_role(tenant, tenant_admin, tier2):
    group = GroupFactory(tenant=tenant, display_name="Support EMEA")
    link_group_role(tenant=tenant, actor=tenant_admin, group=group, role=tier2)
    newcomer = AgentFactory(tenant=tenant)

    add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[newcomer])

    assert held(newcomer) == (tier2, "from the group Support EMEA")


def test_leaving_the_first_group_falls_back_to_the_next(
    tenant, tenant_admin, agent, emea, escalations, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=escalations, role=tier3)
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    remove_group_members(tenant=tenant, actor=tenant_admin, group=escalations, users=[agent])

    assert held(agent) == (tier2, "from the group Support EMEA")


def test_unlinking_falls_back_to_the_next_linked_group(
    tenant, tenant_admin, agent, emea, escalations, tier2, tier3
):
    link = link_group_role(tenant=tenant, actor=tenant_admin, group=escalations, role=tier3)
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    unlink_group_role(tenant=tenant, actor=tenant_admin, link=link)

    assert held(agent) == (tier2, "from the group Support EMEA")


def test_deleting_the_group_falls_back_to_the_next_linked_group(
    tenant, tenant_admin, agent, emea, escalations, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=escalations, role=tier3)
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    delete_group(tenant=tenant, actor=tenant_admin, group=escalations)

    assert held(agent) == (tier2, "from the group Support EMEA")


def test_deleting_the_role_falls_back_to_the_next_linked_group(
    tenant, tenant_admin, agent, emea, escalations, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=escalations, role=tier3)
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    delete_role(tenant=tenant, actor=tenant_admin, role=tier3)

    assert (held(agent), GroupRoleLink.objects.count()) == (
        (tier2, "from the group Support EMEA"),
        1,
    )


def test_relinking_a_group_changes_its_members_role_and_keeps_its_place(
    tenant, tenant_admin, agent, emea, tier2, tier3
):
    first = link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier3)

    assert (held(agent), GroupRoleLink.objects.get().position) == (
        (tier3, "from the group Support EMEA"),
        first.position,
    )


def test_a_built_in_role_cannot_be_linked(tenant, tenant_admin, emea):
    agent_role = Role.objects.for_tenant(tenant).get(builtin="agent")

    with pytest.raises(ValidationError):
        link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=agent_role)


def test_another_accounts_role_cannot_be_linked(tenant, tenant_admin, emea, outsider):
    foreign = CustomRoleFactory(tenant=outsider.tenant, name="Tier 2")

    with pytest.raises(ValidationError):
        link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=foreign)


def test_an_end_user_never_holds_a_group_role(tenant, tenant_admin, agent, emea, tier2):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    with pytest.raises(ValidationError):
        update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"role": "end-user"})

    agent.refresh_from_db()
    assert (agent.role, agent.group_role) == ("agent", tier2)


def test_a_link_is_audited_with_the_users_whose_role_changed(
    tenant, tenant_admin, agent, emea, tier2
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    event = AuditEvent.objects.get(action=AuditAction.EFFECTIVE_ROLES_CHANGED)
    assert event.changes == {
        "cause": "the group Support EMEA was linked to Tier 2",
        "users_changed": 1,
        "users": [f"{agent.user_name}: none → Tier 2 (from the group Support EMEA)"],
    }


def test_leaving_a_group_is_audited_with_its_cause(tenant, tenant_admin, agent, emea, tier2):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    remove_group_members(tenant=tenant, actor=tenant_admin, group=emea, users=[agent])

    event = AuditEvent.objects.filter(action=AuditAction.EFFECTIVE_ROLES_CHANGED).first()
    assert event.changes["cause"] == f"{agent.user_name} left the group Support EMEA"


def test_a_member_with_a_direct_role_is_not_counted_as_changed(
    tenant, tenant_admin, agent, emea, tier2, tier3
):
    agent.custom_role = tier3
    agent.save()

    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    assert not AuditEvent.objects.filter(action=AuditAction.EFFECTIVE_ROLES_CHANGED).exists()


def test_members_of_an_unlinked_group_keep_their_roles(tenant, tenant_admin, emea):
    newcomer = AgentFactory(tenant=tenant)

    add_group_members(tenant=tenant, actor=tenant_admin, group=emea, users=[newcomer])

    assert not AuditEvent.objects.filter(action=AuditAction.EFFECTIVE_ROLES_CHANGED).exists()


@pytest.mark.parametrize("members", [10, 100_000])
def test_linking_a_group_takes_the_same_statements_at_any_size(
    tenant, tenant_admin, tier2, members
):
    call_command(
        "seed_directory",
        tenant.subdomain,
        users=members,
        groups=1,
        members=members,
        no_progress=True,
    )
    group = Group.objects.for_tenant(tenant).get()

    with CaptureQueriesContext(connection) as queries:
        link_group_role(tenant=tenant, actor=tenant_admin, group=group, role=tier2)

    # The savepoint; the group locked; its link, the last position, the new link; its
    # audit row; the count and the sample of changed users; the UPDATE; their audit row;
    # the release.
    assert (len(queries), User.objects.filter(group_role=tier2).count()) == (11, members)


def test_a_direct_assignment_names_the_effective_change_in_its_event(
    tenant, tenant_admin, agent, emea, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)

    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"custom_role": tier3})

    event = AuditEvent.objects.filter(action=AuditAction.USER_UPDATED).get()
    assert event.changes["effective_custom_role"] == [
        "Tier 2 (from the group Support EMEA)",
        "Tier 3 (assigned directly)",
    ]


def test_a_direct_assignment_is_still_told_as_a_custom_role_change(
    tenant, tenant_admin, agent, emea, tier2, tier3
):
    link_group_role(tenant=tenant, actor=tenant_admin, group=emea, role=tier2)
    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"custom_role": tier3})

    event = AuditEvent.objects.filter(action=AuditAction.USER_UPDATED).get()

    assert str(sentence(event)).endswith("'s custom role to Tier 3")
