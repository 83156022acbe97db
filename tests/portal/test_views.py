import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse

from apps.audit.models import ScimRequest
from tests.factories import PASSWORD, AdminFactory, AgentFactory, TenantFactory


def sign_in(client, subdomain="my-tenant", user_name="admin@my-tenant.example", **extra):
    data = {"subdomain": subdomain, "user_name": user_name, "password": PASSWORD}
    data.update(extra)
    return client.post(reverse("portal:login"), data)


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_sign_in_page_has_labelled_account_user_name_and_password_fields(client, db):
    response = client.get(reverse("portal:login"))

    content = response.content.decode()
    assert response.status_code == 200
    for field in ("subdomain", "user_name", "password"):
        assert f'<label for="id_{field}">' in content


def test_sign_in_page_prefills_the_account_from_the_tenant_host(client, tenant):
    response = client.get(reverse("portal:login"), HTTP_HOST="my-tenant.commbox.test")

    assert response.context["form"]["subdomain"].value() == "my-tenant"


def test_sign_in_page_prefills_the_account_a_link_names(client, tenant):
    response = client.get(reverse("portal:login"), {"account": " My-Tenant "})

    assert response.context["form"]["subdomain"].value() == "my-tenant"


def test_the_tenant_host_wins_over_the_account_a_link_names(client, tenant):
    response = client.get(
        reverse("portal:login"), {"account": "globex"}, HTTP_HOST="my-tenant.commbox.test"
    )

    assert response.context["form"]["subdomain"].value() == "my-tenant"


def test_admin_signs_in_and_lands_on_settings(client, tenant_admin):
    response = sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:settings")
    assert signed_in_user_id(client) == str(tenant_admin.pk)


def test_sign_in_accepts_account_and_user_name_in_any_case(client, tenant_admin):
    sign_in(client, subdomain="My-Tenant", user_name="ADMIN@my-tenant.example")

    assert signed_in_user_id(client) == str(tenant_admin.pk)


def test_wrong_password_is_refused(client, tenant_admin):
    response = sign_in(client, password="not-the-password")

    assert response.status_code == 200
    assert "is not right" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(client, tenant_admin):
    response = sign_in(client, subdomain="no-such-tenant")

    assert "is not right" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_user_name_of_another_tenant_does_not_sign_in_here(client, tenant, outsider):
    response = sign_in(client, subdomain="my-tenant", user_name=outsider.user_name)

    assert "is not right" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_same_user_name_in_two_tenants_signs_in_to_the_chosen_one(client, tenant_admin):
    other_tenant = TenantFactory(subdomain="second")
    twin = AdminFactory(tenant=other_tenant, user_name=tenant_admin.user_name)

    sign_in(client, subdomain="second")

    assert signed_in_user_id(client) == str(twin.pk)


def test_non_admin_cannot_sign_in_to_settings(client, tenant):
    agent = AgentFactory(tenant=tenant)

    response = sign_in(client, user_name=agent.user_name)

    assert "Only the account" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_deactivated_admin_cannot_sign_in(client, tenant, tenant_admin):
    AdminFactory(tenant=tenant)  # Keeps the tenant with an active admin.
    type(tenant_admin).objects.filter(pk=tenant_admin.pk).update(is_active=False)

    sign_in(client)

    assert signed_in_user_id(client) is None


def test_password_session_left_unused_while_deactivated_over_scim_is_refused_after_reactivation(
    client, tenant, tenant_admin, scim_set_active
):
    AdminFactory(tenant=tenant)  # Keeps the tenant with an active admin.
    sign_in(client)
    scim_set_active(tenant_admin, False)
    scim_set_active(tenant_admin, True)

    response = client.get(reverse("portal:settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert signed_in_user_id(client) is None


def test_admin_reactivated_over_scim_signs_in_again_with_the_password(
    client, tenant, tenant_admin, scim_set_active
):
    AdminFactory(tenant=tenant)  # Keeps the tenant with an active admin.
    scim_set_active(tenant_admin, False)
    scim_set_active(tenant_admin, True)

    sign_in(client)

    assert client.get(reverse("portal:settings")).status_code == 200


def test_staff_account_cannot_sign_in_as_a_tenant_user(client, tenant, staff):
    sign_in(client, user_name=staff.user_name)

    assert signed_in_user_id(client) is None


def test_sign_in_returns_to_the_page_asked_for(client, tenant_admin):
    response = sign_in(client, next=reverse("tokens:settings"))

    assert response["Location"] == reverse("tokens:settings")


def test_sign_in_ignores_a_next_url_on_another_site(client, tenant_admin):
    response = sign_in(client, next="https://evil.example/steal")

    assert response["Location"] == reverse("portal:settings")


def test_sign_out_needs_a_post(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:logout"))

    assert response.status_code == 405
    assert signed_in_user_id(client) is not None


def test_sign_out_ends_the_session(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.post(reverse("portal:logout"))

    assert response["Location"] == reverse("portal:login")
    assert signed_in_user_id(client) is None


def test_settings_lists_the_modules(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:settings"))

    content = response.content.decode()
    assert response.status_code == 200
    for url in ("tokens:list", "users:list", "groups:list", "roles:list", "audit:list"):
        assert reverse(url) in content
    assert "Token Access on" in content


def test_root_leads_to_settings(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:settings")


def test_root_sends_an_agent_to_the_workspace(client, agent):
    client.force_login(agent)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("sso:workspace")


def test_root_sends_an_end_user_to_their_profile(client, end_user):
    client.force_login(end_user)

    response = client.get("/")

    assert response["Location"] == reverse("sso:me")


def test_root_sends_a_signed_out_visitor_to_sign_in(client, db):
    response = client.get("/")

    assert response["Location"] == reverse("portal:login")


def test_root_sends_platform_staff_to_the_admin(client, staff):
    client.force_login(staff)

    response = client.get("/")

    assert response["Location"] == reverse("admin:index")


def test_root_is_never_cached(client, agent):
    client.force_login(agent)

    response = client.get("/")

    assert "no-cache" in response["Cache-Control"]


def test_brand_link_takes_an_agent_to_a_page_they_can_open(client, agent):
    client.force_login(agent)
    page = client.get(reverse("sso:workspace"))
    assert b'<a class="brand" href="/">' in page.content

    response = client.get("/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("sso:workspace")


def test_signed_in_admin_opening_sign_in_goes_to_settings(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:login"))

    assert response["Location"] == reverse("portal:settings")


@pytest.mark.parametrize("fixture", ["end_user", "agent", "staff"])
def test_non_admin_gets_403_on_settings(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))

    response = client.get(reverse("portal:settings"))

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_signed_out_visitor_is_sent_to_sign_in(client, tenant):
    response = client.get(reverse("portal:settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_unknown_page_uses_the_404_page(client):
    response = client.get("/settings/api/tokens/not-a-token/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_settings_home_api_card_counts_the_last_24_hours_of_scim_requests(
    client, tenant_admin, tenant
):
    ScimRequest.objects.create(
        tenant=tenant,
        method="GET",
        path="/scim/v2/Users",
        status=401,
        duration_ms=1,
        refusal="revoked",
    )
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:settings"))

    assert "1 SCIM request in the last 24 hours, 1 refused." in response.content.decode()


# One answer for every failure


def failure_text(response):
    return [str(error) for error in response.context["form"].non_field_errors()]


def test_a_non_admin_with_the_right_password_gets_the_wrong_password_answer(client, tenant):
    agent = AgentFactory(tenant=tenant)

    right_password = sign_in(client, user_name=agent.user_name)
    wrong_password = sign_in(client, user_name=agent.user_name, password="wrong-password")

    assert right_password.status_code == wrong_password.status_code == 200
    assert failure_text(right_password) == failure_text(wrong_password)
    assert failure_text(right_password) == ["The account, username or password is not right."]


def test_a_deactivated_admin_gets_the_wrong_password_answer(client, tenant, tenant_admin):
    AdminFactory(tenant=tenant)
    type(tenant_admin).objects.filter(pk=tenant_admin.pk).update(is_active=False)

    response = sign_in(client)

    assert failure_text(response) == ["The account, username or password is not right."]


def test_an_unknown_user_name_gets_the_wrong_password_answer(client, tenant_admin):
    response = sign_in(client, user_name="nobody@my-tenant.example")

    assert failure_text(response) == ["The account, username or password is not right."]


# next


@pytest.mark.parametrize("next_url", ["foo", "admin:index", "portal:settings", "settings"])
def test_a_next_that_is_not_a_path_does_not_break_sign_in(client, tenant_admin, next_url):
    response = sign_in(client, next=next_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:settings")
    assert signed_in_user_id(client) == str(tenant_admin.pk)


def test_a_next_that_is_not_a_path_on_the_sign_in_page_is_dropped(client, tenant_admin):
    response = client.get(reverse("portal:login"), {"next": "foo"})

    assert response.status_code == 200
    assert response.context["next"] == ""


def test_a_signed_in_admin_with_a_bad_next_lands_on_settings(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("portal:login"), {"next": "foo"})

    assert response["Location"] == reverse("portal:settings")


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " https://evil.example/",
    ],
)
def test_no_next_leads_off_the_site(client, tenant_admin, next_url):
    response = sign_in(client, next=next_url)

    assert response["Location"] == reverse("portal:settings")


# Session fixation and sign-out


def test_signing_in_gives_a_new_session_key(client, tenant_admin):
    client.get(reverse("portal:login"))
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted_key = session.session_key
    client.cookies["sessionid"] = planted_key

    sign_in(client)

    assert client.cookies["sessionid"].value != planted_key
    assert signed_in_user_id(client) == str(tenant_admin.pk)


def test_a_session_key_from_before_sign_in_is_not_signed_in(client, tenant_admin):
    client.get(reverse("portal:login"))
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted_key = session.session_key
    client.cookies["sessionid"] = planted_key
    sign_in(client)

    assert not Session.objects.filter(session_key=planted_key).exists()


def test_after_sign_out_the_old_session_cookie_opens_nothing(client, tenant_admin):
    sign_in(client)
    old_key = client.cookies["sessionid"].value

    client.post(reverse("portal:logout"))
    client.cookies["sessionid"] = old_key
    response = client.get(reverse("portal:settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# Sign-in on an account's own address


def test_on_an_accounts_address_only_that_account_signs_in(client, tenant, outsider):
    response = client.post(
        reverse("portal:login"),
        {"subdomain": "other-tenant", "user_name": outsider.user_name, "password": PASSWORD},
        HTTP_HOST="my-tenant.commbox.test",
    )

    assert response.status_code == 200
    assert "This address signs in to my-tenant only" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_on_an_accounts_address_its_admin_signs_in(client, tenant_admin):
    response = client.post(
        reverse("portal:login"),
        {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": PASSWORD},
        HTTP_HOST="my-tenant.commbox.test",
    )

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(tenant_admin.pk)
