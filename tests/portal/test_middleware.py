"""Sessions are bound to their account on <subdomain>.<BASE_DOMAIN>."""

from django.contrib.auth import SESSION_KEY
from django.urls import reverse

ACME = "my-tenant.commbox.test"
GLOBEX = "other-tenant.commbox.test"


def test_a_session_is_accepted_on_its_own_accounts_address(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:settings"), HTTP_HOST=ACME)

    assert response.status_code == 200


def test_a_session_is_refused_on_another_accounts_address(client, tenant_admin, outsider):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:settings"), HTTP_HOST=GLOBEX)

    assert response.status_code == 403
    assert "only accepts sessions of the account" in response.content.decode()
    assert "other-tenant" in response.content.decode()


def test_the_refusal_page_links_to_the_sessions_own_account(client, tenant_admin, outsider):
    client.force_login(tenant_admin)

    response = client.get(reverse("tokens:provisioning"), HTTP_HOST=GLOBEX)

    assert "http://my-tenant.commbox.test/settings/" in response.content.decode()
    assert "other-tenant.commbox.test/scim/v2" not in response.content.decode()


def test_every_settings_page_refuses_another_accounts_session(client, tenant_admin, outsider):
    client.force_login(tenant_admin)
    names = [
        "portal:settings",
        "tokens:list",
        "tokens:create",
        "tokens:settings",
        "tokens:provisioning",
        "users:list",
        "groups:list",
        "roles:list",
        "audit:list",
    ]

    statuses = {name: client.get(reverse(name), HTTP_HOST=GLOBEX).status_code for name in names}

    assert statuses == dict.fromkeys(names, 403)


def test_a_post_with_another_accounts_session_changes_nothing(
    client, tenant, tenant_admin, outsider
):
    client.force_login(tenant_admin)

    response = client.post(reverse("tokens:settings"), {}, HTTP_HOST=GLOBEX)

    assert response.status_code == 403
    tenant.refresh_from_db()
    assert tenant.has_token_access


def test_the_session_may_still_sign_out_on_another_accounts_address(client, tenant_admin, outsider):
    client.force_login(tenant_admin)

    response = client.post(reverse("portal:logout"), HTTP_HOST=GLOBEX)

    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_a_staff_session_is_refused_on_an_accounts_address(client, staff, tenant):
    client.force_login(staff)

    response = client.get(reverse("admin:index"), HTTP_HOST=ACME)

    assert response.status_code == 403


def test_the_plain_host_accepts_every_accounts_session(client, tenant_admin, outsider):
    client.force_login(outsider)

    response = client.get(reverse("portal:settings"))

    assert response.status_code == 200


def test_anonymous_requests_on_an_accounts_address_are_untouched(client, tenant):
    response = client.get(reverse("portal:login"), HTTP_HOST=GLOBEX)

    assert response.status_code == 200
