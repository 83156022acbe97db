from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.groups.models import GroupMembership
from apps.roles.models import BuiltinRole
from apps.sso.models import SsoSettings
from apps.tenants import counting
from apps.users.models import User, UserEmail
from apps.users.services import update_user
from tests.factories import (
    AdminFactory,
    AgentFactory,
    CustomRoleFactory,
    GroupFactory,
    MembershipFactory,
    UserEmailFactory,
    UserFactory,
)

# A search adds three: its two trigram probes and the check of the matches against the
# filters (apps.users.models.UserQuerySet.search_with_size).
LIST_QUERY_BOUND = 11


def user_names(response):
    return [u.user_name for u in response.context["page"].object_list]


def make_users(tenant, count, *, start=0):
    """Many users at once, each with an email, a custom role and a group, as a list shows them."""
    role = CustomRoleFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)
    users = User.objects.bulk_create(
        User(
            tenant=tenant,
            user_name=f"bulk{start + i:03}@example.com",
            role=BuiltinRole.AGENT,
            custom_role=role,
            password="!",
        )
        for i in range(count)
    )
    UserEmail.objects.bulk_create(
        UserEmail(tenant=u.tenant, user=u, value=u.user_name, primary=True) for u in users
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(tenant=group.tenant, group=group, user=u) for u in users
    )
    return users


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


@pytest.fixture
def custom_role(tenant):
    return CustomRoleFactory(tenant=tenant, name="Team lead")


# Access


def test_anonymous_visitor_is_sent_to_sign_in(client, tenant):
    response = client.get(reverse("users:list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_agent_who_is_not_an_admin_gets_403(client, agent):
    client.force_login(agent)

    response = client.get(reverse("users:list"))

    assert response.status_code == 403


def test_another_tenants_user_page_is_404(admin_client, outsider):
    response = admin_client.get(reverse("users:detail", args=[outsider.public_id]))

    assert response.status_code == 404


def test_changing_another_tenants_user_is_404_and_changes_nothing(admin_client, outsider):
    response = admin_client.post(
        reverse("users:update_role", args=[outsider.public_id]), {"role": "end-user"}
    )

    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.role == BuiltinRole.ADMIN


def test_deleting_another_tenants_user_is_404(admin_client, outsider):
    response = admin_client.post(reverse("users:delete", args=[outsider.public_id]))

    assert response.status_code == 404
    assert User.objects.filter(pk=outsider.pk).exists()


# List, search, filters, pagination


def test_list_shows_only_the_tenants_users(admin_client, tenant_admin, end_user, outsider):
    response = admin_client.get(reverse("users:list"))

    assert set(user_names(response)) == {tenant_admin.user_name, end_user.user_name}


def test_search_matches_user_name_in_any_case(admin_client, tenant):
    UserFactory(tenant=tenant, user_name="Jane.Doe@example.com")

    response = admin_client.get(reverse("users:list"), {"q": "jane.DOE"})

    assert user_names(response) == ["Jane.Doe@example.com"]


def test_search_matches_given_family_and_display_names(admin_client, tenant):
    UserFactory(tenant=tenant, user_name="a@example.com", given_name="Ada", display_name="X")
    UserFactory(tenant=tenant, user_name="b@example.com", family_name="Adams", display_name="Y")
    UserFactory(tenant=tenant, user_name="c@example.com", display_name="Adalbert Z")
    UserFactory(
        tenant=tenant,
        user_name="d@example.com",
        given_name="Bo",
        family_name="Li",
        display_name="Bo Li",
    )

    response = admin_client.get(reverse("users:list"), {"q": "ada"})

    assert user_names(response) == ["a@example.com", "b@example.com", "c@example.com"]


def test_search_matches_external_id(admin_client, tenant):
    UserFactory(tenant=tenant, user_name="e@example.com", external_id="9b1d-entra-object-id")

    response = admin_client.get(reverse("users:list"), {"q": "ENTRA-OBJECT"})

    assert user_names(response) == ["e@example.com"]


def test_search_by_email_lists_a_user_with_two_matching_emails_once(admin_client, tenant):
    user = UserFactory(tenant=tenant, user_name="kim")
    UserEmailFactory(user=user, value="kim@work.example", type="work")
    UserEmailFactory(user=user, value="kim@home.example", type="home", primary=False)

    response = admin_client.get(reverse("users:list"), {"q": "KIM@"})

    assert user_names(response) == ["kim"]


@pytest.fixture
def bound_of_two(monkeypatch):
    monkeypatch.setattr(counting, "COUNT_BOUND", 2)


def test_search_with_more_matches_than_the_bound_still_finds_users_by_email(
    admin_client, tenant, bound_of_two
):
    for name in ("ann", "bob", "cy"):
        UserFactory(tenant=tenant, user_name=f"{name}@contoso.example")
    dee = UserFactory(tenant=tenant, user_name="dee@other.example")
    UserEmailFactory(user=dee, value="dee@contoso.example")

    response = admin_client.get(reverse("users:list"), {"q": "CONTOSO"})

    assert user_names(response) == [
        "ann@contoso.example",
        "bob@contoso.example",
        "cy@contoso.example",
        "dee@other.example",
    ]


def test_search_with_more_email_matches_than_the_bound_still_finds_users_by_email(
    admin_client, tenant, bound_of_two
):
    for name in ("ann", "bob", "cy"):
        user = UserFactory(tenant=tenant, user_name=f"{name}@contoso.example")
        UserEmailFactory(user=user)
    dee = UserFactory(tenant=tenant, user_name="dee@other.example")
    UserEmailFactory(user=dee, value="dee@contoso.example")

    response = admin_client.get(reverse("users:list"), {"q": "CONTOSO"})

    assert user_names(response) == [
        "ann@contoso.example",
        "bob@contoso.example",
        "cy@contoso.example",
        "dee@other.example",
    ]


def test_search_with_more_matches_than_the_bound_says_so_instead_of_counting(
    admin_client, tenant, bound_of_two
):
    for name in ("ann", "bob", "cy"):
        UserFactory(tenant=tenant, user_name=f"{name}@contoso.example")

    response = admin_client.get(reverse("users:list"), {"q": "contoso"})

    assert "More than 2 users found" in response.content.decode()


def test_search_matches_no_text_across_two_attributes(admin_client, tenant):
    UserFactory(
        tenant=tenant,
        user_name="ann@example.com",
        given_name="Ann",
        family_name="Lee",
        display_name="A. Lee",
    )

    response = admin_client.get(reverse("users:list"), {"q": "ann lee"})

    assert user_names(response) == []


def test_unfiltered_list_counts_every_user_past_the_bound(admin_client, tenant, bound_of_two):
    make_users(tenant, 4)

    response = admin_client.get(reverse("users:list"))

    assert "5 users" in response.content.decode()  # 4 and the admin, from the counters


def test_search_query_count_does_not_grow_with_the_number_of_matches(admin_client, tenant):
    make_users(tenant, 10)
    with CaptureQueriesContext(connection) as ten:
        admin_client.get(reverse("users:list"), {"q": "bulk"})
    make_users(tenant, 90, start=10)

    with CaptureQueriesContext(connection) as hundred:
        admin_client.get(reverse("users:list"), {"q": "bulk"})

    assert len(hundred) == len(ten) <= LIST_QUERY_BOUND


def test_search_past_the_bound_takes_no_more_queries_than_below_it(
    admin_client, tenant, bound_of_two
):
    make_users(tenant, 2)
    with CaptureQueriesContext(connection) as below:
        admin_client.get(reverse("users:list"), {"q": "bulk"})
    make_users(tenant, 10, start=2)

    with CaptureQueriesContext(connection) as past:
        admin_client.get(reverse("users:list"), {"q": "bulk"})

    assert len(past) <= len(below) <= LIST_QUERY_BOUND


def test_filter_by_group_name_in_any_case(admin_client, tenant, agent):
    membership = MembershipFactory(group__tenant=tenant, group__display_name="Billing EU")

    response = admin_client.get(reverse("users:list"), {"group": "billing eu"})

    assert user_names(response) == [membership.user.user_name]


def test_filter_by_a_group_the_account_does_not_have_says_so(admin_client, tenant):
    response = admin_client.get(reverse("users:list"), {"group": "No such group"})

    assert "This account has no group called No such group." in response.content.decode()


def test_filtered_list_query_count_does_not_grow_with_the_number_of_users(admin_client, tenant):
    users = make_users(tenant, 10)
    group = users[0].memberships.get().group
    filters = {"role": "agent", "active": "yes", "group": str(group.public_id), "sort": "source"}
    with CaptureQueriesContext(connection) as ten:
        admin_client.get(reverse("users:list"), filters)
    make_users(tenant, 90, start=10)

    with CaptureQueriesContext(connection) as hundred:
        admin_client.get(reverse("users:list"), filters)

    assert len(hundred) == len(ten) <= LIST_QUERY_BOUND


def test_filter_by_builtin_role(admin_client, tenant_admin, agent, end_user):
    response = admin_client.get(reverse("users:list"), {"role": "agent"})

    assert user_names(response) == [agent.user_name]


def test_filter_by_custom_role(admin_client, tenant, agent, custom_role):
    holder = AgentFactory(tenant=tenant, custom_role=custom_role)

    response = admin_client.get(reverse("users:list"), {"role": str(custom_role.public_id)})

    assert user_names(response) == [holder.user_name]


def test_filter_by_inactive(admin_client, tenant, end_user):
    gone = UserFactory(tenant=tenant, is_active=False)

    response = admin_client.get(reverse("users:list"), {"active": "no"})

    assert user_names(response) == [gone.user_name]


def test_filter_by_group(admin_client, tenant, agent):
    membership = MembershipFactory(group__tenant=tenant)

    response = admin_client.get(reverse("users:list"), {"group": str(membership.group.public_id)})

    assert user_names(response) == [membership.user.user_name]


def test_list_shows_how_many_groups_each_user_is_in(admin_client, tenant, agent):
    MembershipFactory(group__tenant=tenant, user=agent)
    MembershipFactory(group__tenant=tenant, user=agent)

    response = admin_client.get(reverse("users:list"), {"role": "agent"})

    assert [u.group_count for u in response.context["page"].object_list] == [2]


def test_list_pages_hold_fifty_users(admin_client, tenant):
    make_users(tenant, 60)

    response = admin_client.get(reverse("users:list"), {"page": 2})

    assert len(response.context["page"].object_list) == 11  # 60 + the admin, 50 per page


def test_list_query_count_does_not_grow_with_the_number_of_users(admin_client, tenant):
    make_users(tenant, 10)
    with CaptureQueriesContext(connection) as ten:
        admin_client.get(reverse("users:list"))
    make_users(tenant, 90, start=10)

    with CaptureQueriesContext(connection) as hundred:
        response = admin_client.get(reverse("users:list"))

    assert len(response.context["page"].object_list) == 50
    assert len(hundred) == len(ten) <= LIST_QUERY_BOUND


# A user's page


def test_user_page_shows_attributes_emails_manager_and_groups(admin_client, tenant, agent):
    user = AgentFactory(tenant=tenant, department="Support", employee_number="E-17", manager=agent)
    UserEmailFactory(user=user, value="pat@work.example")
    membership = MembershipFactory(group__tenant=tenant, group__display_name="Tier 2", user=user)

    response = admin_client.get(reverse("users:detail", args=[user.public_id]))

    body = response.content.decode()
    assert "Support" in body and "E-17" in body and "pat@work.example" in body
    assert reverse("users:detail", args=[agent.public_id]) in body
    assert reverse("groups:detail", args=[membership.group.public_id]) in body


def test_user_page_shows_the_users_audit_history_newest_first(admin_client, tenant, end_user):
    url = reverse("users:update_role", args=[end_user.public_id])
    admin_client.post(url, {"role": "agent", "custom_role": ""})
    admin_client.post(url, {"role": "admin", "custom_role": ""})

    response = admin_client.get(reverse("users:detail", args=[end_user.public_id]))

    history = list(response.context["history"])
    assert [e.changes["role"] for e in history] == [["agent", "admin"], ["end-user", "agent"]]


def test_user_page_query_count_is_bounded(
    admin_client, tenant, agent, django_assert_max_num_queries
):
    for _ in range(5):
        MembershipFactory(group__tenant=tenant, user=agent)

    # 12, and one for the groups the page offers to add the user to.
    with django_assert_max_num_queries(13):
        admin_client.get(reverse("users:detail", args=[agent.public_id]))


# Role and custom role


def test_giving_an_end_user_a_custom_role_makes_them_an_agent(admin_client, end_user, custom_role):
    response = admin_client.post(
        reverse("users:update_role", args=[end_user.public_id]),
        {"role": "end-user", "custom_role": str(custom_role.public_id)},
        follow=True,
    )

    end_user.refresh_from_db()
    assert (end_user.role, end_user.custom_role) == (BuiltinRole.AGENT, custom_role)
    assert "A custom role makes its holder an agent." in response.content.decode()


def test_making_a_custom_role_holder_an_end_user_takes_the_custom_role_away(
    admin_client, tenant, custom_role
):
    holder = AgentFactory(tenant=tenant, custom_role=custom_role)

    response = admin_client.post(
        reverse("users:update_role", args=[holder.public_id]),
        {"role": "end-user", "custom_role": str(custom_role.public_id)},
        follow=True,
    )

    holder.refresh_from_db()
    assert (holder.role, holder.custom_role) == (BuiltinRole.END_USER, None)
    assert "Their custom role Team lead was taken away" in response.content.decode()


def test_role_form_says_that_end_user_takes_the_custom_role_away(admin_client, agent):
    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    assert "Making someone an end-user takes away their custom role." in response.content.decode()


def test_demoting_a_group_member_to_end_user_is_refused_and_changes_nothing(admin_client, tenant):
    membership = MembershipFactory(group__tenant=tenant, group__display_name="Billing")
    user = membership.user

    response = admin_client.post(
        reverse("users:update_role", args=[user.public_id]), {"role": "end-user", "custom_role": ""}
    )

    assert response.status_code == 400
    assert "is a member of Billing" in response.content.decode()
    user.refresh_from_db()
    assert user.role == BuiltinRole.AGENT
    assert not AuditEvent.objects.filter(action="user.updated").exists()


def test_last_admin_cannot_be_demoted(admin_client, tenant_admin):
    response = admin_client.post(
        reverse("users:update_role", args=[tenant_admin.public_id]),
        {"role": "agent", "custom_role": ""},
    )

    assert response.status_code == 400
    assert "last active admin" in response.content.decode()
    tenant_admin.refresh_from_db()
    assert tenant_admin.role == BuiltinRole.ADMIN


def test_an_admin_can_be_demoted_while_another_admin_remains(admin_client, tenant):
    other = AdminFactory(tenant=tenant)

    admin_client.post(
        reverse("users:update_role", args=[other.public_id]), {"role": "agent", "custom_role": ""}
    )

    other.refresh_from_db()
    assert other.role == BuiltinRole.AGENT


def test_another_tenants_custom_role_is_not_a_choice(admin_client, end_user, outsider):
    foreign_role = CustomRoleFactory(tenant=outsider.tenant)

    response = admin_client.post(
        reverse("users:update_role", args=[end_user.public_id]),
        {"role": "end-user", "custom_role": str(foreign_role.public_id)},
    )

    assert response.status_code == 400
    end_user.refresh_from_db()
    assert end_user.custom_role is None


def test_role_change_writes_a_ui_audit_row_naming_the_admin(admin_client, tenant_admin, end_user):
    admin_client.post(
        reverse("users:update_role", args=[end_user.public_id]),
        {"role": "agent", "custom_role": ""},
    )

    event = AuditEvent.objects.get(action="user.updated")
    assert (event.channel, event.actor_id, event.target_id) == (
        "ui",
        str(tenant_admin.public_id),
        str(end_user.public_id),
    )
    assert event.changes == {"role": ["end-user", "agent"]}


def test_submitting_the_role_form_unchanged_writes_no_audit_row(admin_client, agent):
    admin_client.post(
        reverse("users:update_role", args=[agent.public_id]), {"role": "agent", "custom_role": ""}
    )

    assert not AuditEvent.objects.filter(action="user.updated").exists()


# Activate, deactivate, delete


def test_deactivating_keeps_the_user_and_their_groups(admin_client, tenant):
    membership = MembershipFactory(group__tenant=tenant)
    user = membership.user

    admin_client.post(reverse("users:deactivate", args=[user.public_id]))

    user.refresh_from_db()
    assert user.is_active is False
    assert GroupMembership.objects.filter(user=user).exists()


def test_deactivating_writes_a_ui_audit_row(admin_client, tenant_admin, agent):
    admin_client.post(reverse("users:deactivate", args=[agent.public_id]))

    event = AuditEvent.objects.get(action="user.updated")
    assert (event.channel, event.actor_label) == ("ui", tenant_admin.user_name)
    assert event.changes == {"is_active": [True, False]}


def test_activating_lets_the_user_back_in(admin_client, tenant):
    user = AgentFactory(tenant=tenant, is_active=False)

    admin_client.post(reverse("users:activate", args=[user.public_id]))

    user.refresh_from_db()
    assert user.is_active is True


def test_session_of_a_user_deactivated_and_reactivated_on_the_page_is_refused(admin_client, agent):
    agent_browser = Client()
    agent_browser.force_login(agent)
    admin_client.post(reverse("users:deactivate", args=[agent.public_id]))
    admin_client.post(reverse("users:activate", args=[agent.public_id]))

    response = agent_browser.get(reverse("sso:workspace"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_last_admin_cannot_be_deactivated(admin_client, tenant_admin):
    response = admin_client.post(
        reverse("users:deactivate", args=[tenant_admin.public_id]), follow=True
    )

    assert "last active admin" in response.content.decode()
    tenant_admin.refresh_from_db()
    assert tenant_admin.is_active is True


def test_deactivate_needs_a_post(admin_client, agent):
    response = admin_client.get(reverse("users:deactivate", args=[agent.public_id]))

    assert response.status_code == 405


def test_delete_confirmation_page_changes_nothing(admin_client, agent):
    response = admin_client.get(reverse("users:delete", args=[agent.public_id]))

    assert response.status_code == 200
    assert User.objects.filter(pk=agent.pk).exists()


def test_deleting_removes_the_user_and_writes_a_ui_audit_row(admin_client, tenant_admin, agent):
    response = admin_client.post(reverse("users:delete", args=[agent.public_id]))

    assert response.status_code == 302
    assert not User.objects.filter(pk=agent.pk).exists()
    event = AuditEvent.objects.get(action="user.deleted")
    assert (event.channel, event.actor_id) == ("ui", str(tenant_admin.public_id))


def test_last_admin_cannot_be_deleted(admin_client, tenant_admin):
    response = admin_client.post(reverse("users:delete", args=[tenant_admin.public_id]))

    assert response.status_code == 400
    assert "last active admin" in response.content.decode()
    assert User.objects.filter(pk=tenant_admin.pk).exists()


def test_a_refused_role_change_leaves_the_dropdown_on_the_current_role(admin_client, tenant):
    membership = MembershipFactory(group__tenant=tenant, group__display_name="Billing")

    response = admin_client.post(
        reverse("users:update_role", args=[membership.user.public_id]),
        {"role": "end-user", "custom_role": ""},
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert '<option value="agent" selected>' in content
    assert '<option value="end-user" selected>' not in content
    assert "is a member of Billing" in content


@pytest.fixture
def single_sign_on(tenant):
    """The account's single sign-on, switched on with an identity provider."""
    return SsoSettings.objects.create(
        tenant=tenant,
        idp_entity_id="https://sts.windows.net/contoso/",
        idp_sso_url="https://login.microsoftonline.com/contoso/saml2",
        enabled_at=timezone.now(),
    )


def test_a_user_without_a_password_and_no_single_sign_on_is_said_not_to_sign_in(
    admin_client, agent
):
    agent.set_unusable_password()
    agent.save()

    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    content = response.content.decode()
    assert "has no password and this account&#x27;s single sign-on is off" in content
    assert f"{agent.user_name} can sign in." not in content


def test_a_user_without_a_password_signs_in_through_single_sign_on_when_it_is_on(
    admin_client, agent, single_sign_on
):
    agent.set_unusable_password()
    agent.save()

    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    assert "signs in through single sign-on (Microsoft Entra ID)." in response.content.decode()


def test_a_user_with_a_password_can_use_either_when_single_sign_on_is_on(
    admin_client, agent, single_sign_on
):
    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    assert "can sign in with a password or through single sign-on." in (response.content.decode())


def test_a_user_with_a_password_is_said_to_sign_in_with_it(admin_client, agent):
    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    assert f"{agent.user_name} can sign in with a password." in response.content.decode()


def test_the_name_and_email_column_shows_the_primary_email(admin_client, tenant):
    user = AgentFactory(tenant=tenant, user_name="grace@contoso.com", display_name="Grace Hopper")
    UserEmail.objects.create(
        tenant=tenant, user=user, value="grace@contoso.com", type="work", primary=True
    )

    response = admin_client.get(reverse("users:list"))

    assert '<div class="muted">grace@contoso.com</div>' in response.content.decode()


def test_history_names_the_user_as_they_are_called_now(admin_client, tenant, tenant_admin):
    grace = AgentFactory(tenant=tenant, user_name="grace@contoso.com", display_name="Grace Hopper")
    update_user(tenant=tenant, actor=tenant_admin, user=grace, attributes={"role": "admin"})

    response = admin_client.get(reverse("users:detail", args=[grace.public_id]))

    assert (
        f"{tenant_admin.user_name} changed <strong>Grace Hopper</strong>"
        "&#x27;s role from Agent to Admin." in response.content.decode()
    )


# Groups on a user's page


def test_user_page_offers_only_the_groups_the_user_is_not_in(admin_client, tenant, agent):
    MembershipFactory(group__tenant=tenant, group__display_name="Tier 1", user=agent)
    GroupFactory(tenant=tenant, display_name="Tier 2")
    GroupFactory(tenant=tenant, display_name="Billing")

    response = admin_client.get(reverse("users:detail", args=[agent.public_id]))

    assert [g.display_name for g in response.context["joinable_groups"]] == ["Billing", "Tier 2"]
    assert [g.display_name for g in response.context["groups"]] == ["Tier 1"]


def test_ticked_groups_are_joined_together_with_an_audit_row_each(admin_client, tenant, agent):
    billing = GroupFactory(tenant=tenant, display_name="Billing")
    sales = GroupFactory(tenant=tenant, display_name="Sales")

    response = admin_client.post(
        reverse("groups:add_user_to_groups", args=[agent.public_id]),
        {"group_id": [billing.public_id, sales.public_id]},
        follow=True,
    )

    assert set(GroupMembership.objects.filter(user=agent).values_list("group", flat=True)) == {
        billing.pk,
        sales.pk,
    }
    events = AuditEvent.objects.filter(action="group.member_added")
    assert [e.channel for e in events] == ["ui", "ui"]
    assert f"{agent.user_name} is now a member of the groups Billing and Sales." in (
        response.content.decode()
    )


def test_an_end_user_is_added_to_no_group_and_told_why(admin_client, tenant, end_user):
    billing = GroupFactory(tenant=tenant, display_name="Billing")

    response = admin_client.post(
        reverse("groups:add_user_to_groups", args=[end_user.public_id]),
        {"group_id": [billing.public_id]},
        follow=True,
    )

    assert f"{end_user.user_name} is an end-user" in response.content.decode()
    assert "No group was joined." in response.content.decode()
    assert not GroupMembership.objects.exists()
    assert not AuditEvent.objects.filter(action="group.member_added").exists()


def test_an_end_users_page_explains_instead_of_offering_groups(admin_client, tenant, end_user):
    GroupFactory(tenant=tenant, display_name="Billing")

    response = admin_client.get(reverse("users:detail", args=[end_user.public_id]))

    body = response.content.decode()
    assert "make them an agent under Role first" in body
    assert 'name="group_id"' not in body


def test_adding_to_groups_with_nothing_ticked_asks_for_a_tick(admin_client, agent):
    response = admin_client.post(
        reverse("groups:add_user_to_groups", args=[agent.public_id]), {}, follow=True
    )

    assert "Tick at least one group." in response.content.decode()


def test_another_tenants_group_is_refused_and_nothing_is_joined(
    admin_client, tenant, agent, outsider
):
    mine = GroupFactory(tenant=tenant)
    theirs = GroupFactory(tenant=outsider.tenant)

    response = admin_client.post(
        reverse("groups:add_user_to_groups", args=[agent.public_id]),
        {"group_id": [mine.public_id, theirs.public_id]},
        follow=True,
    )

    assert "no longer in this account" in response.content.decode()
    assert not GroupMembership.objects.exists()


def test_another_tenants_user_cannot_be_added_to_groups(admin_client, tenant, outsider):
    group = GroupFactory(tenant=tenant)

    response = admin_client.post(
        reverse("groups:add_user_to_groups", args=[outsider.public_id]),
        {"group_id": [group.public_id]},
    )

    assert response.status_code == 404
    assert not GroupMembership.objects.exists()


def test_groups_to_join_can_be_searched_by_name(admin_client, tenant, agent):
    GroupFactory(tenant=tenant, display_name="Billing")
    GroupFactory(tenant=tenant, display_name="Sales EMEA")

    response = admin_client.get(
        reverse("users:detail", args=[agent.public_id]), {"groups_q": "emea"}
    )

    assert [g.display_name for g in response.context["joinable_groups"]] == ["Sales EMEA"]


# Sorting the list


def signed_in(user, at):
    User.objects.filter(pk=user.pk).update(last_login=at)
    return user


def test_list_is_sorted_by_username_by_default(admin_client, tenant, tenant_admin):
    UserFactory(tenant=tenant, user_name="Zoe@example.com")
    UserFactory(tenant=tenant, user_name="bob@example.com")

    response = admin_client.get(reverse("users:list"))

    assert user_names(response) == [tenant_admin.user_name, "bob@example.com", "Zoe@example.com"]


def test_list_sorted_by_username_descending(admin_client, tenant, tenant_admin):
    UserFactory(tenant=tenant, user_name="Zoe@example.com")
    UserFactory(tenant=tenant, user_name="bob@example.com")

    response = admin_client.get(reverse("users:list"), {"sort": "-name"})

    assert user_names(response) == ["Zoe@example.com", "bob@example.com", tenant_admin.user_name]


def test_list_sorted_by_role_puts_admins_first_and_names_in_order_within_a_role(
    admin_client, tenant, tenant_admin
):
    AgentFactory(tenant=tenant, user_name="zed@example.com")
    AgentFactory(tenant=tenant, user_name="abe@example.com")
    UserFactory(tenant=tenant, user_name="eve@example.com")

    response = admin_client.get(reverse("users:list"), {"sort": "role"})

    assert user_names(response) == [
        tenant_admin.user_name,
        "abe@example.com",
        "zed@example.com",
        "eve@example.com",
    ]


def test_list_sorted_by_source_groups_each_source_together(admin_client, tenant, tenant_admin):
    UserFactory(tenant=tenant, user_name="b-scim@example.com", source="scim")
    UserFactory(tenant=tenant, user_name="a-ui@example.com", source="ui")
    UserFactory(tenant=tenant, user_name="a-scim@example.com", source="scim")
    User.objects.filter(pk=tenant_admin.pk).update(source="command")

    response = admin_client.get(reverse("users:list"), {"sort": "source"})

    assert user_names(response) == [
        tenant_admin.user_name,
        "a-scim@example.com",
        "b-scim@example.com",
        "a-ui@example.com",
    ]


def test_list_sorted_by_last_sign_in_shows_the_newest_first_and_never_last(
    admin_client, tenant, tenant_admin
):
    now = timezone.now()
    signed_in(tenant_admin, now - timedelta(days=3))
    signed_in(UserFactory(tenant=tenant, user_name="today@example.com"), now)
    UserFactory(tenant=tenant, user_name="never@example.com")

    response = admin_client.get(reverse("users:list"), {"sort": "-last_sign_in"})

    assert user_names(response) == [
        "today@example.com",
        tenant_admin.user_name,
        "never@example.com",
    ]


def test_list_sorted_by_last_sign_in_ascending_shows_never_then_the_oldest(
    admin_client, tenant, tenant_admin
):
    now = timezone.now()
    signed_in(tenant_admin, now - timedelta(days=3))
    signed_in(UserFactory(tenant=tenant, user_name="today@example.com"), now)
    UserFactory(tenant=tenant, user_name="never@example.com")

    response = admin_client.get(reverse("users:list"), {"sort": "last_sign_in"})

    assert user_names(response) == [
        "never@example.com",
        tenant_admin.user_name,
        "today@example.com",
    ]


def test_users_who_never_signed_in_keep_one_order_across_pages(admin_client, tenant, tenant_admin):
    never = make_users(tenant, 60)

    first = admin_client.get(reverse("users:list"), {"sort": "last_sign_in"})
    second = admin_client.get(reverse("users:list"), {"sort": "last_sign_in", "page": 2})

    # The signed-in admin comes last; the others never signed in, in the order they came.
    names = user_names(first) + user_names(second)
    assert names == [u.user_name for u in never] + [tenant_admin.user_name]


def test_a_sort_keeps_the_filters_and_the_filters_keep_the_sort(admin_client, tenant):
    AgentFactory(tenant=tenant, user_name="zed@example.com")
    AgentFactory(tenant=tenant, user_name="abe@example.com")

    response = admin_client.get(reverse("users:list"), {"role": "agent", "sort": "-name"})

    assert user_names(response) == ["zed@example.com", "abe@example.com"]
    columns = response.context["columns"]
    assert columns["name"]["state"] == "descending"
    assert columns["name"]["url"] == "?role=agent&sort=name"
    assert columns["last_sign_in"]["url"] == "?role=agent&sort=-last_sign_in"
    assert 'aria-sort="descending"' in response.content.decode()


def test_an_unknown_sort_is_a_form_error_not_a_crash(admin_client):
    response = admin_client.get(reverse("users:list"), {"sort": "password"})

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_a_sort_alone_does_not_count_as_a_filter(admin_client):
    response = admin_client.get(reverse("users:list"), {"sort": "role"})

    assert response.context["filtered"] is False


@pytest.mark.parametrize("sort", ["name", "-role", "source", "-last_sign_in", "last_sign_in"])
def test_every_sort_takes_the_queries_of_the_default_list(admin_client, tenant, sort):
    make_users(tenant, 30)
    with CaptureQueriesContext(connection) as default:
        admin_client.get(reverse("users:list"))

    with CaptureQueriesContext(connection) as sorted_list:
        admin_client.get(reverse("users:list"), {"sort": sort})

    assert len(sorted_list) == len(default) <= LIST_QUERY_BOUND


def test_the_filters_can_fold(admin_client):
    body = admin_client.get(reverse("users:list")).content.decode()

    assert '<details class="fold" open>' in body
    assert "js/fold.js" in body
