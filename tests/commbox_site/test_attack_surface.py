"""What held up under attack and must keep holding: tenant isolation by id, CSRF on every
state-changing endpoint, no stored XSS from SCIM values, a token shown only once."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.groups.models import Group, GroupMembership
from apps.roles.models import Role
from apps.tokens.models import ApiToken
from apps.users.models import User
from tests.factories import (
    PASSWORD,
    ApiTokenFactory,
    CustomRoleFactory,
    MembershipFactory,
)
from tests.scim.entra import CORE_GROUP, CORE_USER

# Every settings URL that takes an id, with each method it answers: (name, method, ids).
ID_URLS = [
    ("tokens:detail", "get", "token"),
    ("tokens:revoke", "get", "token"),
    ("tokens:revoke", "post", "token"),
    ("tokens:save", "post", "token"),
    ("tokens:discard", "post", "token"),
    ("users:detail", "get", "user"),
    ("users:update_role", "post", "user"),
    ("users:activate", "post", "user"),
    ("users:deactivate", "post", "user"),
    ("users:delete", "get", "user"),
    ("users:delete", "post", "user"),
    ("users:unlock_sign_in", "post", "user"),
    ("groups:detail", "get", "group"),
    ("groups:rename", "post", "group"),
    ("groups:delete", "get", "group"),
    ("groups:delete", "post", "group"),
    ("groups:add_members", "post", "group"),
    ("groups:add_user_to_groups", "post", "user"),
    ("groups:remove_member", "post", "group", "user"),
    ("roles:edit", "get", "role"),
    ("roles:edit", "post", "role"),
    ("roles:delete", "get", "role"),
    ("roles:delete", "post", "role"),
]

# Every state-changing endpoint of the pages (POST), with the ids it needs. The SAML ACS is
# not here: the identity provider posts to it cross-site, and the signed response is its check.
STATE_CHANGING = [
    ("portal:login",),
    ("portal:logout",),
    ("tokens:create",),
    ("tokens:revoke", "token"),
    ("tokens:save", "token"),
    ("tokens:discard", "token"),
    ("tokens:settings",),
    ("tokens:switch_off",),
    ("tokens:provisioning",),
    ("tokens:scim_admin_grants",),
    ("users:update_role", "user"),
    ("users:activate", "user"),
    ("users:deactivate", "user"),
    ("users:delete", "user"),
    ("users:unlock_sign_in", "user"),
    ("groups:create",),
    ("groups:rename", "group"),
    ("groups:delete", "group"),
    ("groups:add_members", "group"),
    ("groups:add_user_to_groups", "user"),
    ("groups:remove_member", "group", "user"),
    ("roles:create",),
    ("roles:edit", "role"),
    ("roles:delete", "role"),
    ("sso:upload_metadata",),
    ("sso:set_metadata_url",),
    ("sso:refresh_metadata",),
    ("sso:configure_manually",),
    ("sso:options",),
    ("sso:test",),
    ("sso:logout",),
]


@pytest.fixture
def foreign(outsider):
    """One object of each kind in another account, the member in the group."""
    tenant = outsider.tenant
    membership = MembershipFactory(group__tenant=tenant)
    return {
        "token": ApiTokenFactory(tenant=tenant),
        "user": membership.user,
        "group": membership.group,
        "role": CustomRoleFactory(tenant=tenant),
    }


@pytest.fixture
def own(tenant):
    membership = MembershipFactory(group__tenant=tenant)
    return {
        "token": ApiTokenFactory(tenant=tenant),
        "user": membership.user,
        "group": membership.group,
        "role": CustomRoleFactory(tenant=tenant),
    }


# Valid for every form, so that only the id can make a request fail.
FORM = {"role": "end-user", "display_name": "x", "name": "x", "user_id": ""}


def url_of(name, kinds, objects):
    return reverse(name, args=[objects[kind].public_id for kind in kinds])


@pytest.mark.parametrize(("name", "method", "kinds"), [(n, m, k) for n, m, *k in ID_URLS])
def test_every_settings_url_with_another_accounts_ids_answers_404(
    client, tenant_admin, foreign, name, method, kinds
):
    client.force_login(tenant_admin)

    response = getattr(client, method)(url_of(name, kinds, foreign), FORM)

    assert response.status_code == 404


def test_another_accounts_objects_are_unchanged_after_every_attempt(client, tenant_admin, foreign):
    client.force_login(tenant_admin)

    for name, method, *kinds in ID_URLS:
        getattr(client, method)(url_of(name, kinds, foreign), FORM)

    assert ApiToken.objects.get(pk=foreign["token"].pk).revoked_at is None
    assert User.objects.get(pk=foreign["user"].pk).is_active
    assert GroupMembership.objects.filter(group=foreign["group"]).count() == 1
    assert Role.objects.filter(pk=foreign["role"].pk).exists()


@pytest.mark.parametrize(("name", "kinds"), [(n, k) for n, *k in STATE_CHANGING])
def test_every_state_changing_endpoint_refuses_a_post_without_the_csrf_token(
    tenant_admin, own, name, kinds
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant_admin)

    response = client.post(url_of(name, kinds, own), FORM)

    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()


def test_the_sign_in_form_refuses_a_post_without_the_csrf_token(tenant_admin):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("portal:login"),
        {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": PASSWORD},
    )

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_admin_refuses_a_post_without_the_csrf_token(superuser_client_csrf, tenant):
    response = superuser_client_csrf.post(
        reverse("admin:tenants_tenant_changelist"),
        {"action": "disable_token_access", "_selected_action": [tenant.pk]},
    )

    assert response.status_code == 403
    tenant.refresh_from_db()
    assert tenant.has_token_access


@pytest.fixture
def superuser_client_csrf(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        User.objects.create_superuser("root-csrf", PASSWORD),
    )
    return client


# Stored XSS: values Entra sends reach pages and the admin escaped.

PAYLOAD = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


@pytest.fixture
def scim_values(scim_client, tenant):
    user_body = {
        "schemas": [CORE_USER],
        "userName": f"x{PAYLOAD}@contoso.com",
        "displayName": PAYLOAD,
        "name": {"givenName": PAYLOAD, "familyName": PAYLOAD},
        "title": PAYLOAD,
        "emails": [{"value": f"{PAYLOAD}@contoso.com", "type": "work", "primary": True}],
    }
    user_id = scim_client.send("post", "/scim/v2/Users", user_body).json()["id"]
    group_body = {"schemas": [CORE_GROUP], "displayName": PAYLOAD, "members": [{"value": user_id}]}
    user = User.objects.get(public_id=user_id)
    user.role = "agent"
    user.save(update_fields=["role"])
    group_id = scim_client.send("post", "/scim/v2/Groups", group_body).json()["id"]
    return user, Group.objects.get(public_id=group_id)


def test_scim_values_are_escaped_on_every_settings_page(client, tenant_admin, scim_values):
    user, group = scim_values
    client.force_login(tenant_admin)
    urls = [
        reverse("users:list"),
        reverse("users:detail", args=[user.public_id]),
        reverse("groups:list"),
        reverse("groups:detail", args=[group.public_id]),
        reverse("audit:list"),
        reverse("tokens:provisioning"),
        reverse("portal:settings"),
    ]

    pages = {url: client.get(url).content.decode() for url in urls}

    assert [url for url, page in pages.items() if PAYLOAD in page or "<script>alert" in page] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[reverse("users:list")]


def test_scim_values_are_escaped_in_the_admin(client, scim_values):
    user, group = scim_values
    client.force_login(User.objects.create_superuser("root-xss", PASSWORD))
    urls = [
        reverse("admin:users_user_changelist"),
        reverse("admin:users_user_change", args=[user.pk]),
        reverse("admin:groups_group_changelist"),
        reverse("admin:groups_group_change", args=[group.pk]),
        reverse("admin:audit_auditevent_changelist"),
    ]

    pages = {url: client.get(url).content.decode() for url in urls}

    assert [url for url, page in pages.items() if "<script>alert" in page] == []


# The token's secret is shown once, in the response to the creating POST.


def test_the_token_never_reappears_after_creation(client, tenant_admin, tenant):
    client.force_login(tenant_admin)
    nonce = client.get(reverse("tokens:create")).context["add_form"].initial["nonce"]
    created = client.post(reverse("tokens:create"), {"nonce": nonce})
    secret = created.context["secret"]
    token = ApiToken.objects.get()
    saved = client.post(reverse("tokens:save", args=[token.public_id]), {"description": "Entra"})
    root = User.objects.create_superuser("root-token", PASSWORD)
    staff_client = Client()
    staff_client.force_login(root)

    later = [
        saved,
        client.get(reverse("tokens:list")),
        client.get(reverse("tokens:detail", args=[token.public_id])),
        client.get(reverse("tokens:create")),
        client.post(reverse("tokens:create"), {"nonce": nonce}),
        client.post(reverse("tokens:save", args=[token.public_id]), {"description": "Again"}),
        client.get(reverse("tokens:provisioning")),
        client.get(reverse("audit:list")),
        staff_client.get(reverse("admin:tokens_apitoken_changelist")),
        staff_client.get(reverse("admin:tokens_apitoken_change", args=[token.pk])),
        staff_client.get(reverse("admin:audit_auditevent_changelist")),
    ]

    assert secret in created.content.decode()
    assert [r.status_code for r in later if secret in r.content.decode()] == []
    assert secret not in str(dict(client.session))
