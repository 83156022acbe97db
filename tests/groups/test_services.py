from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.groups.models import Group, GroupMembership
from apps.groups.services import (
    MemberChange,
    add_group_members,
    add_user_to_groups,
    change_members,
    create_group,
    delete_group,
    remove_group_members,
    set_group_members,
    update_group,
)
from apps.users.models import User
from apps.users.services import update_user
from tests.factories import (
    AdminFactory,
    AgentFactory,
    CustomRoleFactory,
    GroupFactory,
    MembershipFactory,
    UserFactory,
)


def group_events(tenant):
    return AuditEvent.objects.for_tenant(tenant).filter(action__startswith="group.")


def members_of(group):
    return set(GroupMembership.objects.filter(group=group).values_list("user_id", flat=True))


# Groups


def test_created_group_is_audited(tenant, tenant_admin):
    group = create_group(
        tenant=tenant, actor=tenant_admin, display_name=" Support ", external_id="e-1"
    )

    assert (group.display_name, group.external_id) == ("Support", "e-1")
    event = group_events(tenant).get()
    assert (event.action, event.target_id) == ("group.created", str(group.public_id))
    assert event.changes == {"display_name": [None, "Support"], "external_id": [None, "e-1"]}


@pytest.mark.parametrize("display_name", ["Support", "SUPPORT", " support "])
def test_group_display_name_is_unique_per_tenant_whatever_the_case(
    tenant, tenant_admin, display_name
):
    GroupFactory(tenant=tenant, display_name="Support")

    with pytest.raises(ValidationError) as error:
        create_group(tenant=tenant, actor=tenant_admin, display_name=display_name)

    assert error.value.code == "unique"
    assert Group.objects.for_tenant(tenant).count() == 1
    assert not group_events(tenant).exists()


def test_same_group_name_is_allowed_in_another_tenant(tenant, tenant_admin, outsider):
    GroupFactory(tenant=outsider.tenant, display_name="Support")

    group = create_group(tenant=tenant, actor=tenant_admin, display_name="Support")

    assert group.tenant == tenant


def test_group_without_a_name_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_group(tenant=tenant, actor=tenant_admin, display_name="  ")

    assert error.value.code == "required"
    assert not Group.objects.exists()


def test_group_created_with_members_gets_one_row_per_member(tenant, tenant_admin, agent):
    group = create_group(
        tenant=tenant, actor=tenant_admin, display_name="Support", members=[agent, tenant_admin]
    )

    assert members_of(group) == {agent.pk, tenant_admin.pk}
    assert group_events(tenant).filter(action="group.member_added").count() == 2


def test_group_created_with_an_end_user_is_not_created(tenant, tenant_admin, agent, end_user):
    with pytest.raises(ValidationError):
        create_group(
            tenant=tenant, actor=tenant_admin, display_name="Support", members=[agent, end_user]
        )

    assert not Group.objects.exists()
    assert not group_events(tenant).exists()


def test_group_is_renamed_with_before_and_after(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant, display_name="Support")

    update_group(tenant=tenant, actor=tenant_admin, group=group, display_name="Help desk")

    group.refresh_from_db()
    assert (group.display_name, group.version) == ("Help desk", 2)
    event = group_events(tenant).get()
    assert event.action == "group.updated"
    assert event.changes == {"display_name": ["Support", "Help desk"]}


def test_group_can_change_the_case_of_its_own_name(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant, display_name="Support")

    update_group(tenant=tenant, actor=tenant_admin, group=group, display_name="SUPPORT")

    group.refresh_from_db()
    assert group.display_name == "SUPPORT"


def test_group_rename_to_another_groups_name_is_refused_as_unique(tenant, tenant_admin):
    GroupFactory(tenant=tenant, display_name="Sales")
    group = GroupFactory(tenant=tenant, display_name="Support")

    with pytest.raises(ValidationError) as error:
        update_group(tenant=tenant, actor=tenant_admin, group=group, display_name="sales")

    assert error.value.code == "unique"
    assert Group.objects.get(pk=group.pk).display_name == "Support"
    assert not group_events(tenant).exists()


def test_group_update_without_change_writes_nothing(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant, display_name="Support", external_id="e-1")

    update_group(
        tenant=tenant, actor=tenant_admin, group=group, display_name="Support", external_id="e-1"
    )

    assert Group.objects.get(pk=group.pk).version == 1
    assert not group_events(tenant).exists()


def test_another_tenants_group_cannot_be_renamed(tenant, tenant_admin, outsider):
    group = GroupFactory(tenant=outsider.tenant, display_name="Support")

    with pytest.raises(Http404):
        update_group(tenant=tenant, actor=tenant_admin, group=group, display_name="Mine")

    assert Group.objects.get(pk=group.pk).display_name == "Support"


def test_deleted_group_takes_its_memberships_and_is_audited(tenant, tenant_admin):
    membership = MembershipFactory(group__tenant=tenant, group__display_name="Support")

    delete_group(tenant=tenant, actor=tenant_admin, group=membership.group)

    assert not Group.objects.exists()
    assert not GroupMembership.objects.exists()
    assert User.objects.filter(pk=membership.user_id).exists()
    event = group_events(tenant).get()
    assert event.action == "group.deleted"
    assert event.changes == {"display_name": ["Support", None], "member_count": 1}


def test_another_tenants_group_cannot_be_deleted(tenant, tenant_admin, outsider):
    group = GroupFactory(tenant=outsider.tenant)

    with pytest.raises(Http404):
        delete_group(tenant=tenant, actor=tenant_admin, group=group)

    assert Group.objects.filter(pk=group.pk).exists()


# Members


def test_agents_admins_and_custom_role_holders_can_be_added(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant)
    holder = update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=UserFactory(tenant=tenant),
        attributes={"custom_role": CustomRoleFactory(tenant=tenant)},
    )

    add_group_members(
        tenant=tenant, actor=tenant_admin, group=group, users=[agent, tenant_admin, holder]
    )

    assert members_of(group) == {agent.pk, tenant_admin.pk, holder.pk}


def test_added_membership_carries_the_groups_tenant(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant)

    add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[agent])

    assert GroupMembership.objects.get(group=group).tenant_id == tenant.pk


def test_each_added_member_gets_its_own_audit_row(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    ann = AgentFactory(tenant=tenant, user_name="ann@example.com")
    bob = AgentFactory(tenant=tenant, user_name="bob@example.com")

    add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[ann, bob])

    events = group_events(tenant).filter(action="group.member_added")
    assert sorted(e.changes["member"] for e in events) == ["ann@example.com", "bob@example.com"]
    assert {e.target_id for e in events} == {str(group.public_id)}
    assert Group.objects.get(pk=group.pk).version == 2


def test_adding_an_existing_member_again_writes_nothing(tenant, tenant_admin):
    membership = MembershipFactory(group__tenant=tenant)

    added = add_group_members(
        tenant=tenant, actor=tenant_admin, group=membership.group, users=[membership.user]
    )

    assert added == []
    assert GroupMembership.objects.count() == 1
    assert not group_events(tenant).exists()


def test_adding_an_end_user_is_refused_naming_the_user_and_the_rule(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    end_user = UserFactory(tenant=tenant, user_name="carol@example.com")

    with pytest.raises(ValidationError) as error:
        add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[end_user])

    message = error.value.messages[0]
    assert "carol@example.com" in message
    assert "end-user" in message
    assert "only agents" in message
    assert not GroupMembership.objects.exists()
    assert not group_events(tenant).exists()


def test_one_end_user_among_agents_refuses_the_whole_request(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant)
    end_user = UserFactory(tenant=tenant, user_name="carol@example.com")

    with pytest.raises(ValidationError) as error:
        add_group_members(
            tenant=tenant, actor=tenant_admin, group=group, users=[agent, end_user, tenant_admin]
        )

    assert "carol@example.com" in error.value.messages[0]
    assert agent.user_name not in error.value.messages[0]
    assert not GroupMembership.objects.exists()
    assert not group_events(tenant).exists()
    assert Group.objects.get(pk=group.pk).version == 1


def test_stale_agent_instance_of_a_user_now_end_user_is_refused(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    agent = AgentFactory(tenant=tenant)
    User.objects.filter(pk=agent.pk).update(role="end-user")

    with pytest.raises(ValidationError):
        add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[agent])

    assert not GroupMembership.objects.exists()


def test_user_of_another_tenant_cannot_be_added(tenant, tenant_admin, outsider):
    group = GroupFactory(tenant=tenant)

    with pytest.raises(ValidationError):
        add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[outsider])

    assert not GroupMembership.objects.exists()
    assert not group_events(tenant).exists()


def test_members_cannot_be_added_to_another_tenants_group(tenant, tenant_admin, outsider):
    group = GroupFactory(tenant=outsider.tenant)

    with pytest.raises(Http404):
        add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[tenant_admin])

    assert not GroupMembership.objects.exists()


def test_each_removed_member_gets_its_own_audit_row(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    ann = MembershipFactory(group=group, user__user_name="ann@example.com").user
    bob = MembershipFactory(group=group, user__user_name="bob@example.com").user
    stays = MembershipFactory(group=group).user

    removed = remove_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[ann, bob])

    assert set(removed) == {ann, bob}
    assert members_of(group) == {stays.pk}
    events = group_events(tenant).filter(action="group.member_removed")
    assert sorted(e.changes["member"] for e in events) == ["ann@example.com", "bob@example.com"]


def test_removing_a_non_member_writes_nothing(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant)

    assert remove_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[agent]) == []
    assert not group_events(tenant).exists()


def test_members_cannot_be_removed_from_another_tenants_group(tenant, tenant_admin, outsider):
    membership = MembershipFactory(group__tenant=outsider.tenant)

    with pytest.raises(Http404):
        remove_group_members(
            tenant=tenant, actor=tenant_admin, group=membership.group, users=[membership.user]
        )

    assert GroupMembership.objects.filter(pk=membership.pk).exists()


def test_set_members_adds_and_removes_to_match(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    leaves = MembershipFactory(group=group).user
    stays = MembershipFactory(group=group).user
    joins = AgentFactory(tenant=tenant)

    set_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[stays, joins])

    assert members_of(group) == {stays.pk, joins.pk}
    events = group_events(tenant)
    assert [e.changes["member_id"] for e in events.filter(action="group.member_added")] == [
        str(joins.public_id)
    ]
    assert [e.changes["member_id"] for e in events.filter(action="group.member_removed")] == [
        str(leaves.public_id)
    ]


def test_set_members_with_an_end_user_changes_nothing(tenant, tenant_admin, end_user):
    group = GroupFactory(tenant=tenant)
    current = MembershipFactory(group=group).user

    with pytest.raises(ValidationError):
        set_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[end_user])

    assert members_of(group) == {current.pk}
    assert not group_events(tenant).exists()


def test_set_members_of_another_tenants_group_is_not_found(tenant, tenant_admin, outsider):
    membership = MembershipFactory(group__tenant=outsider.tenant)

    with pytest.raises(Http404):
        set_group_members(tenant=tenant, actor=tenant_admin, group=membership.group, users=[])

    assert GroupMembership.objects.filter(pk=membership.pk).exists()


def test_admin_member_demoted_to_agent_stays_a_member(tenant, tenant_admin):
    admin = AdminFactory(tenant=tenant)
    membership = MembershipFactory(group__tenant=tenant, user=admin)

    update_user(tenant=tenant, actor=tenant_admin, user=admin, attributes={"role": "agent"})

    assert GroupMembership.objects.filter(pk=membership.pk).exists()


def test_group_external_id_longer_than_the_column_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_group(
            tenant=tenant, actor=tenant_admin, display_name="Support", external_id="x" * 256
        )

    assert error.value.code == "invalid"
    assert not Group.objects.exists()


def test_group_external_id_changed_to_longer_than_the_column_is_refused(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant, external_id="e-1")

    with pytest.raises(ValidationError):
        update_group(tenant=tenant, actor=tenant_admin, group=group, external_id="x" * 256)

    assert Group.objects.get(pk=group.pk).external_id == "e-1"
    assert not group_events(tenant).exists()


def test_member_change_on_a_stale_copy_counts_on_from_the_stored_version(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    Group.objects.filter(pk=group.pk).update(version=5)

    add_group_members(
        tenant=tenant, actor=tenant_admin, group=group, users=[AgentFactory(tenant=tenant)]
    )

    assert group.version == 6
    assert Group.objects.get(pk=group.pk).version == 6


def test_a_group_records_the_channel_it_was_created_through(tenant, tenant_admin, api_token):
    by_admin = create_group(tenant=tenant, actor=tenant_admin, display_name="Billing")
    by_entra = create_group(tenant=tenant, actor=api_token[0], display_name="Support")
    by_command = create_group(tenant=tenant, actor=None, display_name="Seeded")

    assert [by_admin.source, by_entra.source, by_command.source] == ["ui", "scim", "command"]


# A member change is a change of the group: its lastModified moves


LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_adding_a_member_moves_the_groups_last_modified(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant)
    Group.objects.filter(pk=group.pk).update(modified_at=LONG_AGO)
    group.refresh_from_db()

    add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[agent])

    assert Group.objects.get(pk=group.pk).modified_at > LONG_AGO
    assert group.modified_at == Group.objects.get(pk=group.pk).modified_at


def test_removing_a_member_moves_the_groups_last_modified(tenant, tenant_admin):
    membership = MembershipFactory(group__tenant=tenant)
    Group.objects.filter(pk=membership.group_id).update(modified_at=LONG_AGO)
    group = Group.objects.get(pk=membership.group_id)

    remove_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[membership.user])

    assert Group.objects.get(pk=group.pk).modified_at > LONG_AGO


def test_a_refused_add_leaves_the_groups_last_modified_alone(tenant, tenant_admin, end_user):
    group = GroupFactory(tenant=tenant)
    Group.objects.filter(pk=group.pk).update(modified_at=LONG_AGO)
    group.refresh_from_db()

    with pytest.raises(ValidationError):
        add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[end_user])

    assert Group.objects.get(pk=group.pk).modified_at == LONG_AGO


def test_an_add_that_changes_nothing_leaves_the_groups_last_modified_alone(tenant, tenant_admin):
    membership = MembershipFactory(group__tenant=tenant)
    Group.objects.filter(pk=membership.group_id).update(modified_at=LONG_AGO)
    group = Group.objects.get(pk=membership.group_id)

    add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[membership.user])

    assert Group.objects.get(pk=group.pk).modified_at == LONG_AGO


def test_several_member_changes_in_one_request_write_the_group_row_once(tenant, tenant_admin):
    group = GroupFactory(tenant=tenant)
    leaving = MembershipFactory(group=group).user
    joining = AgentFactory.create_batch(3, tenant=tenant)
    changes = [
        MemberChange("add", tuple(str(u.public_id) for u in joining)),
        MemberChange("remove", (str(leaving.public_id),)),
    ]

    with CaptureQueriesContext(connection) as queries:
        change_members(tenant=tenant, actor=tenant_admin, group=group, changes=changes)

    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "groups_group"')]
    assert len(updates) == 1
    assert Group.objects.get(pk=group.pk).version == 2


# Several agents at once, and one user into several groups


def test_a_refusal_of_several_end_users_names_each_of_them(tenant, tenant_admin, agent):
    group = GroupFactory(tenant=tenant)
    carol = UserFactory(tenant=tenant, user_name="carol@example.com")
    dan = UserFactory(tenant=tenant, user_name="dan@example.com")

    with pytest.raises(ValidationError) as error:
        add_group_members(tenant=tenant, actor=tenant_admin, group=group, users=[carol, agent, dan])

    assert "carol@example.com, dan@example.com are end-users" in error.value.messages[0]
    assert not GroupMembership.objects.exists()


def test_a_user_is_added_to_several_groups_with_an_audit_row_each(tenant, tenant_admin, agent):
    sales, support = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)

    joined = add_user_to_groups(
        tenant=tenant, actor=tenant_admin, user=agent, groups=[sales, support]
    )

    assert set(joined) == {sales, support}
    assert set(GroupMembership.objects.filter(user=agent).values_list("group", flat=True)) == {
        sales.pk,
        support.pk,
    }
    assert group_events(tenant).filter(action="group.member_added").count() == 2


def test_an_end_user_is_added_to_no_group(tenant, tenant_admin, end_user):
    sales, support = GroupFactory(tenant=tenant), GroupFactory(tenant=tenant)

    with pytest.raises(ValidationError) as error:
        add_user_to_groups(
            tenant=tenant, actor=tenant_admin, user=end_user, groups=[sales, support]
        )

    assert end_user.user_name in error.value.messages[0]
    assert not GroupMembership.objects.exists()
    assert not group_events(tenant).exists()


def test_a_user_of_another_tenant_is_added_to_no_group(tenant, tenant_admin, outsider):
    group = GroupFactory(tenant=tenant)

    with pytest.raises(Http404):
        add_user_to_groups(tenant=tenant, actor=tenant_admin, user=outsider, groups=[group])

    assert not GroupMembership.objects.exists()


def test_a_user_cannot_be_added_to_another_tenants_group(tenant, tenant_admin, agent, outsider):
    mine, theirs = GroupFactory(tenant=tenant), GroupFactory(tenant=outsider.tenant)

    with pytest.raises(Http404):
        add_user_to_groups(tenant=tenant, actor=tenant_admin, user=agent, groups=[mine, theirs])

    assert not GroupMembership.objects.exists()
