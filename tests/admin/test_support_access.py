import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.urls import reverse

from apps.audit.models import AuditEvent, ScimRequest
from tests.factories import (
    PASSWORD,
    CustomRoleFactory,
    MembershipFactory,
    StaffFactory,
    UserEmailFactory,
)

MODELS = [
    "tenants_tenant",
    "users_user",
    "roles_role",
    "groups_group",
    "tokens_apitoken",
    "audit_auditevent",
    "audit_scimrequest",
]


@pytest.fixture
def rows(tenant, tenant_admin, api_token):
    """One row of every model the admin shows, in one tenant."""
    membership = MembershipFactory(group__tenant=tenant)
    UserEmailFactory(user=membership.user)
    return {
        "tenants_tenant": tenant,
        "users_user": membership.user,
        "roles_role": CustomRoleFactory(tenant=tenant),
        "groups_group": membership.group,
        "tokens_apitoken": api_token[0],
        "audit_auditevent": AuditEvent.objects.first(),
        "audit_scimrequest": ScimRequest.objects.create(
            tenant=tenant,
            token=api_token[0],
            method="GET",
            path="/scim/v2/Users",
            status=200,
            duration_ms=12,
        ),
    }


def test_support_group_holds_exactly_the_view_permissions(db):
    support = PermissionGroup.objects.get(name="Support")

    codenames = set(support.permissions.values_list("codename", flat=True))

    assert codenames == {
        "view_tenant",
        "view_user",
        "view_useremail",
        "view_userphonenumber",
        "view_role",
        "view_group",
        "view_groupmembership",
        "view_apitoken",
        "view_auditevent",
        "view_scimrequest",
    }


@pytest.mark.parametrize("model", MODELS)
def test_support_member_can_open_every_changelist(client, support_member, rows, model):
    client.force_login(support_member)

    response = client.get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_support_member_can_read_every_change_page_without_a_save_button(
    client, support_member, rows, model
):
    client.force_login(support_member)

    response = client.get(reverse(f"admin:{model}_change", args=[rows[model].pk]))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content


@pytest.mark.parametrize("model", MODELS)
def test_support_member_gets_403_on_the_add_page(client, support_member, rows, model):
    client.force_login(support_member)

    response = client.get(reverse(f"admin:{model}_add"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_support_member_gets_403_posting_a_change(client, support_member, rows, model):
    client.force_login(support_member)

    response = client.post(
        reverse(f"admin:{model}_change", args=[rows[model].pk]), {"name": "Changed"}
    )

    assert response.status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_support_member_gets_403_deleting(client, support_member, rows, model):
    client.force_login(support_member)
    row = rows[model]

    response = client.post(reverse(f"admin:{model}_delete", args=[row.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_support_member_cannot_revoke_a_token_through_the_action(client, support_member, api_token):
    client.force_login(support_member)
    token = api_token[0]

    client.post(
        reverse("admin:tokens_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is None


def test_support_member_sees_no_bulk_actions_on_the_user_list(client, support_member, rows):
    client.force_login(support_member)

    response = client.get(reverse("admin:users_user_changelist"))

    assert response.context["action_form"] is None


@pytest.mark.parametrize("model", MODELS)
def test_staff_outside_support_gets_403_on_every_changelist(client, rows, model):
    client.force_login(StaffFactory())

    response = client.get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 403


def test_user_page_shows_memberships_and_recent_audit_rows(client, support_member, rows):
    client.force_login(support_member)
    user = rows["users_user"]
    AuditEvent.objects.create(
        tenant=user.tenant,
        channel="scim",
        action="user.updated",
        actor_type="token",
        actor_label="API token cbx…",
        target_type="user",
        target_id=str(user.public_id),
        target_label=user.user_name,
        changes={"title": ["", "Lead"]},
    )

    response = client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert rows["groups_group"].display_name in response.content.decode()
    assert "user.updated" in response.content.decode()


@pytest.mark.parametrize("viewer", ["support_member", "superuser"])
def test_user_page_never_shows_the_password_hash(client, rows, viewer, request):
    client.force_login(request.getfixturevalue(viewer))
    user = rows["users_user"]

    response = client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert user.password not in response.content.decode()
    assert 'name="password"' not in response.content.decode()


def test_users_cannot_be_filtered_by_password(client, support_member, rows):
    client.force_login(support_member)

    response = client.get(reverse("admin:users_user_changelist"), {"password__startswith": "p"})

    assert response.status_code == 400


def test_user_list_filters_platform_staff_from_tenant_users(client, support_member, rows):
    client.force_login(support_member)

    response = client.get(reverse("admin:users_user_changelist"), {"account": "staff"})

    listed = {u.user_name for u in response.context["cl"].result_list}
    assert listed == {"support"}


def test_token_page_never_shows_the_digest(client, support_member, api_token):
    client.force_login(support_member)
    token = api_token[0]

    response = client.get(reverse("admin:tokens_apitoken_change", args=[token.pk]))

    assert response.status_code == 200
    assert token.digest not in response.content.decode()
    assert token.truncated in response.content.decode()


def test_token_list_never_shows_the_digest(client, support_member, api_token):
    client.force_login(support_member)

    response = client.get(reverse("admin:tokens_apitoken_changelist"))

    assert api_token[0].digest not in response.content.decode()


def test_searching_tokens_by_digest_finds_nothing(client, support_member, api_token):
    client.force_login(support_member)

    response = client.get(reverse("admin:tokens_apitoken_changelist"), {"q": api_token[0].digest})

    assert list(response.context["cl"].result_list) == []


def test_filtering_tokens_by_digest_is_refused(client, support_member, api_token):
    client.force_login(support_member)

    response = client.get(
        reverse("admin:tokens_apitoken_changelist"), {"digest": api_token[0].digest}
    )

    assert response.status_code == 400


def test_filtering_scim_requests_by_token_digest_is_refused(client, support_member, rows):
    client.force_login(support_member)

    response = client.get(
        reverse("admin:audit_scimrequest_changelist"),
        {"token__digest": rows["tokens_apitoken"].digest},
    )

    assert response.status_code == 400


def test_staff_signs_in_with_the_admin_login_form(client, support_member):
    response = client.post(
        reverse("admin:login"),
        {"username": "SUPPORT", "password": PASSWORD, "next": reverse("admin:index")},
    )

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).context["user"] == support_member


def test_tenant_admin_cannot_sign_in_to_the_admin(client, tenant_admin):
    response = client.post(
        reverse("admin:login"),
        {"username": tenant_admin.user_name, "password": PASSWORD},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signed_in_tenant_admin_is_sent_to_the_admin_login(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("admin:users_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_support_member_cannot_change_their_own_staff_account(client, support_member):
    client.force_login(support_member)

    response = client.post(
        reverse("admin:users_user_change", args=[support_member.pk]),
        {"is_active": "on", "is_staff": "on", "groups": []},
    )

    assert response.status_code == 403
    assert support_member.groups.filter(name="Support").exists()
