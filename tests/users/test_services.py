import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from apps.audit.models import AuditEvent, Channel
from apps.groups.models import GroupMembership
from apps.groups.services import add_group_members
from apps.roles.models import BuiltinRole
from apps.sso.models import SsoSettings
from apps.users.models import User, UserEmail, UserPhoneNumber
from apps.users.services import (
    create_user,
    delete_user,
    remember_rows,
    set_password,
    update_staff_account,
    update_user,
)
from tests.factories import (
    AdminFactory,
    AgentFactory,
    CustomRoleFactory,
    GroupFactory,
    MembershipFactory,
    TenantFactory,
    UserEmailFactory,
    UserFactory,
)


def user_events(tenant):
    return AuditEvent.objects.for_tenant(tenant).filter(action__startswith="user.")


def reloaded(user):
    return User.objects.get(pk=user.pk)


# create_user


def test_created_user_gets_one_audit_row_with_the_fields_set(tenant, tenant_admin):
    user = create_user(
        tenant=tenant,
        actor=tenant_admin,
        attributes={
            "user_name": " ann@example.com ",
            "given_name": "Ann",
            "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
        },
    )

    assert user.user_name == "ann@example.com"
    assert user.role == BuiltinRole.END_USER
    event = user_events(tenant).get()
    assert event.action == "user.created"
    assert event.target_id == str(user.public_id)
    assert event.changes == {
        "user_name": [None, "ann@example.com"],
        "is_active": [None, True],
        "given_name": [None, "Ann"],
        "role": [None, "end-user"],
        "emails": [
            None,
            [{"value": "ann@example.com", "type": "work", "primary": True, "display": ""}],
        ],
    }


def test_created_user_records_where_it_came_from(tenant, api_token):
    user = create_user(
        tenant=tenant, actor=api_token[0], attributes={"user_name": "ann"}, source=Channel.SCIM
    )

    assert reloaded(user).source == Channel.SCIM
    assert user_events(tenant).get().channel == "scim"


def test_created_user_can_sign_in_with_the_password_that_is_not_audited(tenant, tenant_admin):
    password = "Tr0ub4dor&3-unique-text"

    user = create_user(
        tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann"}, password=password
    )

    assert reloaded(user).check_password(password)
    for event in AuditEvent.objects.all():
        assert password not in json.dumps(event.changes)
        assert password not in f"{event.actor_label} {event.target_label}"
        assert user.password not in json.dumps(event.changes)


@pytest.mark.parametrize("user_name", ["ann@example.com", "ANN@example.com", " Ann@Example.COM "])
def test_created_user_name_is_unique_per_tenant_whatever_the_case(tenant, tenant_admin, user_name):
    UserFactory(tenant=tenant, user_name="Ann@example.com")

    with pytest.raises(ValidationError) as error:
        create_user(tenant=tenant, actor=tenant_admin, attributes={"user_name": user_name})

    assert error.value.code == "unique"
    assert User.objects.for_tenant(tenant).filter(user_name__iexact="ann@example.com").count() == 1
    assert not user_events(tenant).exists()


def test_same_user_name_is_allowed_in_another_tenant(tenant, tenant_admin, outsider):
    UserFactory(tenant=outsider.tenant, user_name="ann@example.com")

    user = create_user(
        tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann@example.com"}
    )

    assert user.tenant == tenant


def test_user_without_user_name_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_user(tenant=tenant, actor=tenant_admin, attributes={"user_name": "  "})

    assert error.value.code == "required"


def test_created_user_with_a_custom_role_is_an_agent(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)

    user = create_user(
        tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann", "custom_role": role}
    )

    assert (reloaded(user).role, reloaded(user).custom_role) == (BuiltinRole.AGENT, role)


def test_created_user_cannot_have_another_tenants_custom_role(tenant, tenant_admin, outsider):
    role = CustomRoleFactory(tenant=outsider.tenant)

    with pytest.raises(ValidationError):
        create_user(
            tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann", "custom_role": role}
        )

    assert not User.objects.filter(user_name="ann").exists()
    assert not user_events(tenant).exists()


def test_created_user_cannot_have_a_builtin_role_as_custom_role(tenant, tenant_admin):
    builtin = tenant.roles.get(builtin=BuiltinRole.ADMIN)

    with pytest.raises(ValidationError):
        create_user(
            tenant=tenant,
            actor=tenant_admin,
            attributes={"user_name": "ann", "custom_role": builtin},
        )

    assert not User.objects.filter(user_name="ann").exists()


def test_created_user_cannot_have_an_unknown_role(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_user(
            tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann", "role": "owner"}
        )

    assert error.value.code == "invalid"
    assert not User.objects.filter(user_name="ann").exists()


def test_created_user_cannot_report_to_another_tenants_user(tenant, tenant_admin, outsider):
    with pytest.raises(ValidationError):
        create_user(
            tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann", "manager": outsider}
        )

    assert not User.objects.filter(user_name="ann").exists()
    assert not user_events(tenant).exists()


def test_created_user_longer_than_a_column_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_user(
            tenant=tenant,
            actor=tenant_admin,
            attributes={"user_name": "ann", "display_name": "Ann " * 100},
        )

    assert error.value.code == "invalid"
    assert not User.objects.filter(user_name="ann").exists()


# update_user: fields, audit, version


def test_update_records_only_the_changed_fields_before_and_after(tenant, tenant_admin):
    user = UserFactory(tenant=tenant, given_name="Ann", family_name="Lee", title="")

    update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=user,
        attributes={"given_name": "Ann", "family_name": "Smith", "title": "Engineer"},
    )

    event = user_events(tenant).get()
    assert event.action == "user.updated"
    assert event.changes == {"family_name": ["Lee", "Smith"], "title": ["", "Engineer"]}
    assert reloaded(user).family_name == "Smith"


def test_update_increments_the_version(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)

    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"title": "Engineer"})

    assert user.version == 2
    assert reloaded(user).version == 2


def test_update_of_a_stale_copy_counts_on_from_the_stored_version(tenant, tenant_admin):
    user = UserFactory(tenant=tenant, title="Engineer")
    User.objects.filter(pk=user.pk).update(version=5, department="Sales")

    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"title": "Lead"})

    assert user.version == 6
    assert (reloaded(user).version, reloaded(user).title) == (6, "Lead")
    assert reloaded(user).department == "Sales"


def test_update_without_change_writes_nothing(tenant, tenant_admin):
    user = UserFactory(tenant=tenant, title="Engineer")
    UserEmailFactory(user=user, value="ann@example.com", type="work", primary=True)

    update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=user,
        attributes={
            "title": "Engineer",
            "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
        },
    )

    assert reloaded(user).version == 1
    assert not user_events(tenant).exists()


def test_update_of_another_tenants_user_is_not_found(tenant, tenant_admin, outsider):
    with pytest.raises(Http404):
        update_user(tenant=tenant, actor=tenant_admin, user=outsider, attributes={"title": "x"})

    assert reloaded(outsider).title == ""


def test_rename_to_another_users_name_in_any_case_is_refused_as_unique(tenant, tenant_admin):
    UserFactory(tenant=tenant, user_name="bob@example.com")
    user = UserFactory(tenant=tenant, user_name="ann@example.com")

    with pytest.raises(ValidationError) as error:
        update_user(
            tenant=tenant,
            actor=tenant_admin,
            user=user,
            attributes={"user_name": "BOB@example.com"},
        )

    assert error.value.code == "unique"
    assert reloaded(user).user_name == "ann@example.com"
    assert not user_events(tenant).exists()


def test_user_can_change_the_case_of_their_own_name(tenant, tenant_admin):
    user = UserFactory(tenant=tenant, user_name="ann@example.com")

    update_user(
        tenant=tenant, actor=tenant_admin, user=user, attributes={"user_name": "Ann@Example.com"}
    )

    assert reloaded(user).user_name == "Ann@Example.com"


def test_emails_and_phone_numbers_carry_the_users_tenant(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)

    update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=user,
        attributes={
            "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
            "phone_numbers": [{"value": "+1 555 0100", "type": "work"}],
        },
    )

    assert UserEmail.objects.get(user=user).tenant_id == tenant.pk
    assert UserPhoneNumber.objects.get(user=user).tenant_id == tenant.pk


def test_emails_are_replaced_not_merged(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)
    UserEmailFactory(user=user, value="old@example.com")

    update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=user,
        attributes={
            "emails": [
                {"value": "new@example.com", "type": "work", "primary": True},
                {"value": "home@example.com", "type": "home"},
            ]
        },
    )

    assert list(UserEmail.objects.filter(user=user).values_list("value", "primary")) == [
        ("new@example.com", True),
        ("home@example.com", False),
    ]
    change = user_events(tenant).get().changes["emails"]
    assert [e["value"] for e in change[0]] == ["old@example.com"]
    assert [e["value"] for e in change[1]] == ["new@example.com", "home@example.com"]


def test_empty_email_list_removes_every_email(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)
    UserEmailFactory(user=user)

    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"emails": []})

    assert not UserEmail.objects.filter(user=user).exists()


def test_phone_numbers_are_replaced_and_emails_left_alone(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)
    UserEmailFactory(user=user, value="ann@example.com")
    UserPhoneNumber.objects.create(tenant=tenant, user=user, value="+1 555 0100", type="work")

    update_user(
        tenant=tenant,
        actor=tenant_admin,
        user=user,
        attributes={"phone_numbers": [{"value": "+1 555 0199", "type": "mobile"}]},
    )

    assert list(user.phone_numbers.values_list("value", "type")) == [("+1 555 0199", "mobile")]
    assert list(user.emails.values_list("value", flat=True)) == ["ann@example.com"]
    assert set(user_events(tenant).get().changes) == {"phone_numbers"}


def test_manager_is_set_to_a_user_of_the_same_tenant(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)
    boss = UserFactory(tenant=tenant, user_name="boss@example.com")

    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"manager": boss})

    assert reloaded(user).manager == boss
    assert user_events(tenant).get().changes == {"manager": [None, "boss@example.com"]}


def test_manager_from_another_tenant_is_refused(tenant, tenant_admin, outsider):
    user = UserFactory(tenant=tenant)

    with pytest.raises(ValidationError):
        update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"manager": outsider})

    assert reloaded(user).manager is None
    assert not user_events(tenant).exists()


def test_user_cannot_be_their_own_manager(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)

    with pytest.raises(ValidationError):
        update_user(
            tenant=tenant, actor=tenant_admin, user=user, attributes={"manager": reloaded(user)}
        )

    assert reloaded(user).manager is None


def test_unknown_attribute_is_a_programming_error(tenant, tenant_admin):
    user = UserFactory(tenant=tenant)

    with pytest.raises(ValueError):
        update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"password": "x"})


# Roles


def test_end_user_given_a_custom_role_becomes_an_agent(tenant, tenant_admin, end_user):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead")

    update_user(tenant=tenant, actor=tenant_admin, user=end_user, attributes={"custom_role": role})

    assert (reloaded(end_user).role, reloaded(end_user).custom_role) == (BuiltinRole.AGENT, role)
    assert user_events(tenant).get().changes == {
        "role": ["end-user", "agent"],
        "custom_role": [None, "Team Lead"],
    }


def test_admin_given_a_custom_role_stays_admin(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)

    update_user(
        tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"custom_role": role}
    )

    assert (reloaded(tenant_admin).role, reloaded(tenant_admin).custom_role) == ("admin", role)


def test_making_an_agent_an_end_user_drops_the_custom_role(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant, name="Team Lead")
    agent = AgentFactory(tenant=tenant, custom_role=role)

    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"role": "end-user"})

    assert (reloaded(agent).role, reloaded(agent).custom_role) == (BuiltinRole.END_USER, None)
    assert user_events(tenant).get().changes == {
        "role": ["agent", "end-user"],
        "custom_role": ["Team Lead", None],
    }


def test_dropping_the_custom_role_keeps_the_user_an_agent_in_their_groups(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    membership = MembershipFactory(group__tenant=tenant, user__custom_role=role)

    update_user(
        tenant=tenant, actor=tenant_admin, user=membership.user, attributes={"custom_role": None}
    )

    user = reloaded(membership.user)
    assert (user.role, user.custom_role, user.is_agent) == (BuiltinRole.AGENT, None, True)
    assert GroupMembership.objects.filter(pk=membership.pk).exists()


def test_dropping_the_custom_role_of_a_promoted_end_user_keeps_them_agent(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    user = UserFactory(tenant=tenant)
    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"custom_role": role})

    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"custom_role": None})

    assert reloaded(user).role == BuiltinRole.AGENT


def test_group_member_cannot_be_made_an_end_user(tenant, tenant_admin):
    membership = MembershipFactory(
        group__tenant=tenant, group__display_name="Support", user__user_name="ann@example.com"
    )

    with pytest.raises(ValidationError) as error:
        update_user(
            tenant=tenant,
            actor=tenant_admin,
            user=membership.user,
            attributes={"role": "end-user"},
        )

    message = error.value.messages[0]
    assert "ann@example.com" in message
    assert "Support" in message
    assert "only agents" in message
    assert reloaded(membership.user).role == BuiltinRole.AGENT
    assert GroupMembership.objects.filter(pk=membership.pk).exists()
    assert not user_events(tenant).exists()


def test_group_member_with_a_custom_role_cannot_be_made_an_end_user(tenant, tenant_admin):
    role = CustomRoleFactory(tenant=tenant)
    membership = MembershipFactory(group__tenant=tenant, user__custom_role=role)

    with pytest.raises(ValidationError):
        update_user(
            tenant=tenant,
            actor=tenant_admin,
            user=membership.user,
            attributes={"role": "end-user"},
        )

    assert reloaded(membership.user).custom_role == role


# Last active admin


def test_last_admin_cannot_be_demoted(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        update_user(
            tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"role": "agent"}
        )

    assert "last active admin" in error.value.messages[0]
    assert reloaded(tenant_admin).role == BuiltinRole.ADMIN
    assert not user_events(tenant).exists()


def test_last_admin_cannot_be_deactivated(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        update_user(
            tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"is_active": False}
        )

    assert "last active admin" in error.value.messages[0]
    assert reloaded(tenant_admin).is_active
    assert not user_events(tenant).exists()


def test_last_active_admin_cannot_be_demoted_while_another_admin_is_inactive(tenant, tenant_admin):
    AdminFactory(tenant=tenant, is_active=False)

    with pytest.raises(ValidationError):
        update_user(
            tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"role": "agent"}
        )

    assert reloaded(tenant_admin).role == BuiltinRole.ADMIN


def test_an_admin_without_a_password_does_not_count_as_one_who_can_sign_in(tenant, tenant_admin):
    AdminFactory(tenant=tenant, without_password=True)

    with pytest.raises(ValidationError) as error:
        update_user(
            tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"is_active": False}
        )

    assert "last active admin who can sign in" in error.value.messages[0]
    assert reloaded(tenant_admin).is_active


def test_an_admin_without_a_password_can_be_demoted_while_one_can_sign_in(tenant, tenant_admin):
    passwordless = AdminFactory(tenant=tenant, without_password=True)

    update_user(tenant=tenant, actor=tenant_admin, user=passwordless, attributes={"role": "agent"})

    assert reloaded(passwordless).role == BuiltinRole.AGENT


def test_a_token_cannot_make_an_admin_while_the_account_does_not_allow_it(tenant, api_token, agent):
    with pytest.raises(ValidationError) as error:
        update_user(tenant=tenant, actor=api_token[0], user=agent, attributes={"role": "admin"})

    assert "may not make" in error.value.messages[0]
    assert reloaded(agent).role == BuiltinRole.AGENT


def test_a_tenant_admin_can_make_an_admin_whatever_the_scim_setting(tenant, tenant_admin, agent):
    update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"role": "admin"})

    assert reloaded(agent).role == BuiltinRole.ADMIN


def test_admins_of_another_tenant_do_not_count(tenant, tenant_admin, outsider):
    with pytest.raises(ValidationError):
        update_user(
            tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"role": "agent"}
        )


def test_one_of_two_admins_can_be_demoted(tenant, tenant_admin):
    other = AdminFactory(tenant=tenant)

    update_user(tenant=tenant, actor=tenant_admin, user=other, attributes={"role": "agent"})

    assert reloaded(other).role == BuiltinRole.AGENT


def test_one_of_two_admins_can_be_deactivated(tenant, tenant_admin):
    other = AdminFactory(tenant=tenant)

    update_user(tenant=tenant, actor=tenant_admin, user=other, attributes={"is_active": False})

    assert not reloaded(other).is_active


def test_inactive_last_admin_can_be_reactivated(tenant):
    admin = AdminFactory(tenant=tenant, is_active=False)

    update_user(tenant=tenant, actor=None, user=admin, attributes={"is_active": True})

    assert reloaded(admin).is_active


def test_last_admin_cannot_be_deleted(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        delete_user(tenant=tenant, actor=tenant_admin, user=tenant_admin)

    assert "last active admin" in error.value.messages[0]
    assert User.objects.filter(pk=tenant_admin.pk).exists()
    assert not user_events(tenant).exists()


def test_one_of_two_admins_can_be_deleted(tenant, tenant_admin):
    other = AdminFactory(tenant=tenant)

    delete_user(tenant=tenant, actor=tenant_admin, user=other)

    assert not User.objects.filter(pk=other.pk).exists()


# Deactivation and deletion


def test_deactivating_a_user_revokes_their_sessions(tenant, agent):
    update_user(tenant=tenant, actor=None, user=agent, attributes={"is_active": False})

    assert reloaded(agent).sessions_revoked_at is not None


def test_an_edit_of_an_active_user_keeps_their_sessions(tenant, agent):
    update_user(
        tenant=tenant, actor=None, user=agent, attributes={"is_active": True, "title": "Lead"}
    )

    assert reloaded(agent).sessions_revoked_at is None


def test_reactivating_a_user_does_not_bring_their_old_sessions_back(tenant, agent):
    update_user(tenant=tenant, actor=None, user=agent, attributes={"is_active": False})
    revoked_hash = reloaded(agent).get_session_auth_hash()

    update_user(tenant=tenant, actor=None, user=agent, attributes={"is_active": True})

    assert reloaded(agent).get_session_auth_hash() == revoked_hash
    assert reloaded(agent).sessions_revoked_at is not None


def test_deactivating_a_staff_account_revokes_its_sessions(staff):
    update_staff_account(actor=None, user=staff, is_active=False, is_staff=True, groups=[])

    assert reloaded(staff).sessions_revoked_at is not None


def test_deactivated_user_keeps_their_memberships(tenant, tenant_admin):
    membership = MembershipFactory(group__tenant=tenant)

    update_user(
        tenant=tenant, actor=tenant_admin, user=membership.user, attributes={"is_active": False}
    )

    assert not reloaded(membership.user).is_active
    assert GroupMembership.objects.filter(pk=membership.pk).exists()
    assert user_events(tenant).get().changes == {"is_active": [True, False]}


def test_deleted_user_loses_their_memberships(tenant, tenant_admin):
    membership = MembershipFactory(group__tenant=tenant)
    other = MembershipFactory(group=membership.group)

    delete_user(tenant=tenant, actor=tenant_admin, user=membership.user)

    assert not User.objects.filter(pk=membership.user.pk).exists()
    assert list(GroupMembership.objects.all()) == [other]


def test_deleted_user_is_no_longer_anyones_manager(tenant, tenant_admin):
    boss = AgentFactory(tenant=tenant)
    report = UserFactory(tenant=tenant, manager=boss)

    delete_user(tenant=tenant, actor=tenant_admin, user=boss)

    assert reloaded(report).manager is None
    assert reloaded(report).version == report.version + 1


def test_deleting_a_user_records_the_deletion_and_each_group_left(tenant, tenant_admin):
    user = AgentFactory(tenant=tenant, user_name="ann@example.com")
    sales = MembershipFactory(user=user, group__tenant=tenant, group__display_name="Sales").group
    support = MembershipFactory(
        user=user, group__tenant=tenant, group__display_name="Support"
    ).group
    UserFactory(tenant=tenant, manager=user, user_name="bob@example.com")

    delete_user(tenant=tenant, actor=tenant_admin, user=user)

    deleted = AuditEvent.objects.get(action="user.deleted")
    assert deleted.target_label == "ann@example.com"
    assert deleted.changes == {
        "user_name": ["ann@example.com", None],
        "groups": ["Sales", "Support"],
        "manager_of": ["bob@example.com"],
    }
    removed = AuditEvent.objects.filter(action="group.member_removed")
    assert sorted(removed.values_list("target_id", flat=True)) == sorted(
        [str(sales.public_id), str(support.public_id)]
    )


def test_deleting_another_tenants_user_is_not_found(tenant, tenant_admin, outsider):
    AdminFactory(tenant=outsider.tenant)

    with pytest.raises(Http404):
        delete_user(tenant=tenant, actor=tenant_admin, user=outsider)

    assert User.objects.filter(pk=outsider.pk).exists()


# Passwords


def test_password_is_set_and_audited_without_the_password(tenant, tenant_admin, end_user):
    password = "Correct-Horse-7-unique-text"

    set_password(tenant=tenant, actor=tenant_admin, user=end_user, password=password)

    assert reloaded(end_user).check_password(password)
    event = user_events(tenant).get()
    assert event.action == "user.password_set"
    row = json.dumps(
        [event.changes, event.actor_label, event.target_label, event.target_id, event.action]
    )
    assert password not in row
    assert reloaded(end_user).password not in row


# Concurrency
# SQLite's in-memory test database refuses a second writer ("table is locked") instead of
# waiting, so these races are only meaningful on PostgreSQL.


def race(*works) -> list[str]:
    """Run each callable in its own thread, released together; "done" or "refused" each."""
    barrier = threading.Barrier(len(works), timeout=10)
    outcomes = []

    def run(work):
        try:
            barrier.wait()
            work()
            outcomes.append("done")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def set_role(tenant, user_pk, role):
    user = User.objects.get(pk=user_pk)
    update_user(tenant=tenant, actor=None, user=user, attributes={"role": role})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_demoted_at_the_same_time_leave_one_admin():
    tenant = TenantFactory()
    ann, bob = AdminFactory.create_batch(2, tenant=tenant)

    outcomes = race(
        lambda: set_role(tenant, ann.pk, "agent"), lambda: set_role(tenant, bob.pk, "agent")
    )

    assert outcomes == ["done", "refused"]
    assert User.objects.for_tenant(tenant).active_admins().count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_agent_demoted_while_being_added_to_a_group_does_not_end_up_an_end_user_member():
    tenant = TenantFactory()
    group = GroupFactory(tenant=tenant)
    agent = AgentFactory(tenant=tenant)

    outcomes = race(
        lambda: set_role(tenant, agent.pk, "end-user"),
        lambda: add_group_members(
            tenant=tenant, actor=None, group=group, users=[User.objects.get(pk=agent.pk)]
        ),
    )

    assert outcomes == ["done", "refused"]
    assert User.objects.get(pk=agent.pk).is_agent == GroupMembership.objects.exists()


@pytest.fixture
def sso_switched_on(tenant):
    """The account's single sign-on, on, with an identity provider."""
    return SsoSettings.objects.create(
        tenant=tenant,
        idp_entity_id="https://sts.windows.net/contoso/",
        idp_sso_url="https://login.microsoftonline.com/contoso/saml2",
        enabled_at=timezone.now(),
    )


def test_an_admin_without_a_password_counts_as_one_who_can_sign_in_once_sso_signs_admins_in(
    tenant, tenant_admin, sso_switched_on, scim_may_grant_admin
):
    AdminFactory(tenant=tenant, without_password=True)

    update_user(
        tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"is_active": False}
    )

    assert not reloaded(tenant_admin).is_active


def test_the_last_admin_who_signs_in_with_sso_cannot_be_deactivated(
    tenant, tenant_admin, sso_switched_on, scim_may_grant_admin
):
    sso_admin = AdminFactory(tenant=tenant, without_password=True)
    update_user(tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"role": "agent"})

    with pytest.raises(ValidationError) as error:
        update_user(
            tenant=tenant, actor=tenant_admin, user=sso_admin, attributes={"is_active": False}
        )

    assert "last active admin who can sign in" in error.value.messages[0]
    assert reloaded(sso_admin).is_active


def test_remembered_rows_are_served_without_a_query_and_the_relation_still_filters_by_user(
    tenant, django_assert_num_queries
):
    user = AgentFactory(tenant=tenant)
    other = AgentFactory(tenant=tenant)
    UserEmail.objects.create(tenant=tenant, user=other, value="other@x.io")
    mine = UserEmail.objects.create(tenant=tenant, user=user, value="mine@x.io")
    remember_rows(user, "emails", [mine])

    with django_assert_num_queries(0):
        assert [value for value, *_ in user.contacts("emails")] == ["mine@x.io"]
    assert list(user.emails.filter(value__endswith="x.io")) == [mine]
