from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.urls import reverse

from apps.audit.models import AuditEvent, Channel
from apps.groups.models import Group, GroupMembership
from apps.roles.models import Role
from apps.users.models import User
from tests.factories import (
    CustomRoleFactory,
    GroupFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def changeform_data(response) -> dict:
    """What a browser posts for the admin form on the page, as it was rendered."""
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        _add_form(data, inline.formset.management_form)
        for form in inline.formset.forms:
            _add_form(data, form)
    return data


def _add_form(data, form):
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value


def change_data(client, obj):
    opts = obj._meta
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    return changeform_data(response)


def add_data(client, model):
    opts = model._meta
    return changeform_data(client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")))


def post_change(client, obj, data):
    opts = obj._meta
    return client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]), data
    )


def test_user_edit_is_audited_with_the_admin_channel_and_the_superuser(
    admin_client, superuser, agent
):
    data = change_data(admin_client, agent) | {"title": "Team lead"}

    response = post_change(admin_client, agent, data)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.updated")
    assert (event.channel, event.actor_type, event.actor_id) == (
        "admin",
        "staff",
        str(superuser.public_id),
    )
    assert event.changes == {"title": ["", "Team lead"]}


def test_user_email_edit_goes_into_the_same_audit_row(admin_client, agent):
    data = change_data(admin_client, agent) | {
        "emails-TOTAL_FORMS": "1",
        "emails-0-value": "lead@example.com",
        "emails-0-type": "work",
        "emails-0-primary": "on",
        "title": "Team lead",
    }

    post_change(admin_client, agent, data)

    event = AuditEvent.objects.get(action="user.updated")
    assert set(event.changes) == {"title", "emails"}
    assert agent.emails.get().value == "lead@example.com"


def test_user_added_in_admin_is_created_through_the_service(admin_client, tenant):
    data = add_data(admin_client, User) | {
        "tenant": tenant.pk,
        "user_name": "new.agent@example.com",
        "role": "agent",
    }

    response = admin_client.post(reverse("admin:users_user_add"), data)

    assert response.status_code == 302
    user = User.objects.get(user_name="new.agent@example.com")
    assert (user.tenant, user.role, user.source) == (tenant, "agent", Channel.ADMIN)
    assert AuditEvent.objects.get(action="user.created").channel == "admin"


def test_giving_a_custom_role_in_admin_makes_the_user_an_agent(admin_client, end_user, tenant):
    role = CustomRoleFactory(tenant=tenant)
    data = change_data(admin_client, end_user) | {"custom_role": role.pk}

    post_change(admin_client, end_user, data)

    end_user.refresh_from_db()
    assert (end_user.role, end_user.custom_role) == ("agent", role)


def test_agent_added_to_a_group_through_the_inline_is_audited(admin_client, tenant, agent):
    group = GroupFactory(tenant=tenant)
    data = change_data(admin_client, group) | {
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": agent.pk,
    }

    response = post_change(admin_client, group, data)

    assert response.status_code == 302
    assert GroupMembership.objects.filter(group=group, user=agent).exists()
    assert AuditEvent.objects.get(action="group.member_added").channel == "admin"


def test_agent_added_through_the_inline_moves_the_groups_last_modified(admin_client, tenant, agent):
    group = GroupFactory(tenant=tenant)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    Group.objects.filter(pk=group.pk).update(modified_at=long_ago)
    data = change_data(admin_client, group) | {
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": agent.pk,
    }

    post_change(admin_client, group, data)

    assert Group.objects.get(pk=group.pk).modified_at > long_ago


def test_member_removed_through_the_inline_is_audited(admin_client, tenant):
    membership = MembershipFactory(group__tenant=tenant)
    data = change_data(admin_client, membership.group) | {"memberships-0-DELETE": "on"}

    post_change(admin_client, membership.group, data)

    assert not GroupMembership.objects.exists()
    assert AuditEvent.objects.get(action="group.member_removed").channel == "admin"


def test_group_added_in_admin_with_members_is_created_through_the_service(
    admin_client, tenant, agent
):
    data = add_data(admin_client, Group) | {
        "tenant": tenant.pk,
        "display_name": "Tier 2",
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": agent.pk,
    }

    admin_client.post(reverse("admin:groups_group_add"), data)

    group = Group.objects.get(display_name="Tier 2")
    assert list(group.memberships.values_list("user", flat=True)) == [agent.pk]
    assert set(AuditEvent.objects.values_list("action", "channel")) == {
        ("group.created", "admin"),
        ("group.member_added", "admin"),
    }


def test_end_user_added_through_the_inline_is_an_error_that_changes_nothing(
    admin_client, tenant, end_user
):
    group = GroupFactory(tenant=tenant, display_name="Support desk")
    data = change_data(admin_client, group) | {
        "display_name": "Renamed",
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": end_user.pk,
    }

    response = post_change(admin_client, group, data)

    assert response.status_code == 200
    assert f"{end_user.user_name} is an end-user" in response.content.decode()
    group.refresh_from_db()
    assert group.display_name == "Support desk"
    assert not GroupMembership.objects.exists()
    assert not AuditEvent.objects.exists()


def test_custom_role_named_end_user_is_an_error_that_changes_nothing(admin_client, tenant):
    data = add_data(admin_client, Role) | {"tenant": tenant.pk, "name": "end user"}

    response = admin_client.post(reverse("admin:roles_role_add"), data)

    assert response.status_code == 200
    assert "too close to the built-in role" in response.content.decode()
    assert not Role.objects.custom().exists()
    assert not AuditEvent.objects.exists()


def test_demoting_a_group_member_to_end_user_is_an_error_that_changes_nothing(admin_client, tenant):
    user = MembershipFactory(group__tenant=tenant).user
    data = change_data(admin_client, user) | {"role": "end-user"}

    response = post_change(admin_client, user, data)

    assert response.status_code == 200
    assert "only agents can be group members" in response.content.decode()
    user.refresh_from_db()
    assert user.role == "agent"
    assert not AuditEvent.objects.exists()


def test_demoting_the_last_admin_is_an_error_that_changes_nothing(admin_client, tenant_admin):
    data = change_data(admin_client, tenant_admin) | {"role": "agent", "title": "Boss"}

    response = post_change(admin_client, tenant_admin, data)

    assert response.status_code == 200
    assert "last active admin" in response.content.decode()
    tenant_admin.refresh_from_db()
    assert (tenant_admin.role, tenant_admin.title) == ("admin", "")
    assert not AuditEvent.objects.exists()


def test_deleting_the_last_admin_is_an_error_that_deletes_nothing(admin_client, tenant_admin):
    response = admin_client.post(
        reverse("admin:users_user_delete", args=[tenant_admin.pk]), {"post": "yes"}, follow=True
    )

    assert "last active admin" in response.content.decode()
    assert User.objects.filter(pk=tenant_admin.pk).exists()
    assert not AuditEvent.objects.exists()


def test_bulk_delete_including_the_last_admin_deletes_nobody(admin_client, tenant_admin, agent):
    response = admin_client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [agent.pk, tenant_admin.pk],
            "post": "yes",
        },
        follow=True,
    )

    assert "last active admin" in response.content.decode()
    assert User.objects.filter(pk__in=[agent.pk, tenant_admin.pk]).count() == 2
    assert not AuditEvent.objects.exists()


def test_user_deleted_in_admin_is_audited(admin_client, tenant_admin, agent):
    admin_client.post(reverse("admin:users_user_delete", args=[agent.pk]), {"post": "yes"})

    assert not User.objects.filter(pk=agent.pk).exists()
    assert AuditEvent.objects.get(action="user.deleted").channel == "admin"


def test_custom_role_renamed_in_admin_is_audited(admin_client, tenant):
    role = CustomRoleFactory(tenant=tenant, name="Team lead")
    data = change_data(admin_client, role) | {"name": "Shift lead"}

    post_change(admin_client, role, data)

    role.refresh_from_db()
    assert (role.name, role.normalized_name) == ("Shift lead", "shiftlead")
    assert AuditEvent.objects.get(action="role.updated").channel == "admin"


def test_custom_role_deleted_in_admin_leaves_its_holders_agents(admin_client, tenant):
    role = CustomRoleFactory(tenant=tenant)
    holder = UserFactory(tenant=tenant, role="agent", custom_role=role)

    admin_client.post(reverse("admin:roles_role_delete", args=[role.pk]), {"post": "yes"})

    holder.refresh_from_db()
    assert (holder.role, holder.custom_role) == ("agent", None)
    assert AuditEvent.objects.get(action="role.deleted").channel == "admin"


def test_built_in_role_cannot_be_changed_in_admin(admin_client, tenant):
    role = Role.objects.get(tenant=tenant, builtin="agent")

    response = admin_client.post(
        reverse("admin:roles_role_change", args=[role.pk]), {"name": "Helper"}
    )

    assert response.status_code == 403


def test_token_revoked_with_the_action_is_audited(admin_client, superuser, api_token):
    token = api_token[0]

    admin_client.post(
        reverse("admin:tokens_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.channel, event.actor_id) == ("admin", str(superuser.public_id))


def test_token_access_switched_off_with_the_action_is_audited(admin_client, tenant):
    admin_client.post(
        reverse("admin:tenants_tenant_changelist"),
        {"action": "disable_token_access", "_selected_action": [tenant.pk]},
    )

    tenant.refresh_from_db()
    assert tenant.token_access_enabled_at is None
    assert AuditEvent.objects.get(action="tenant.token_access").channel == "admin"


def test_audit_row_cannot_be_changed_by_a_superuser(admin_client, api_token):
    event = AuditEvent.objects.get()

    response = admin_client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "forged"}
    )

    assert response.status_code == 403


def test_audit_row_cannot_be_deleted_by_a_superuser(admin_client, api_token):
    event = AuditEvent.objects.get()

    response = admin_client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_rows_cannot_be_bulk_deleted_by_a_superuser(admin_client, api_token):
    response = admin_client.get(reverse("admin:audit_auditevent_changelist"))

    assert response.context["action_form"] is None


def test_staff_account_added_to_support_in_admin_is_audited(admin_client, superuser):
    staff = StaffFactory()
    support = PermissionGroup.objects.get(name="Support")
    data = change_data(admin_client, staff) | {"groups": [support.pk]}

    response = post_change(admin_client, staff, data)

    assert response.status_code == 302
    assert list(staff.groups.all()) == [support]
    event = AuditEvent.objects.get(action="staff.updated")
    assert (event.tenant, event.channel, event.actor_id) == (
        None,
        "admin",
        str(superuser.public_id),
    )
    assert event.changes == {"groups": [[], ["Support"]]}


def test_staff_account_cannot_be_made_superuser_in_admin(admin_client):
    staff = StaffFactory()
    data = change_data(admin_client, staff) | {"is_superuser": "on"}

    post_change(admin_client, staff, data)

    staff.refresh_from_db()
    assert staff.is_superuser is False


def test_staff_account_cannot_be_deleted_in_admin(admin_client):
    staff = StaffFactory()

    response = admin_client.post(
        reverse("admin:users_user_delete", args=[staff.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=staff.pk).exists()
