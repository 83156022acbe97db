import logging
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent, ScimRequest
from apps.audit.tokenless import count_request_without_token
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.tokens.services import create_token, revoke_token
from apps.users.services import delete_user
from tests.factories import AdminFactory, ApiTokenFactory

NONCE = "x" * 43


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def nonce_of(response) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', response.content.decode()).group(1)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def generate(admin_client, nonce=NONCE):
    """Press Add API token."""
    return admin_client.post(reverse("tokens:create"), {"nonce": nonce})


def save(admin_client, token, description="Entra ID"):
    """Enter the API token description and press Save."""
    return admin_client.post(
        reverse("tokens:save", args=[token.public_id]), {"description": description}
    )


def test_list_shows_active_tokens_with_truncated_form_creator_and_dates(
    admin_client, tenant, tenant_admin, api_token
):
    token, secret = api_token
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())

    response = admin_client.get(reverse("tokens:list"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Active API Tokens" in content
    assert "Add API token" in content
    assert "Entra ID" in content
    assert token.truncated in content
    assert tenant_admin.user_name in content
    assert '<td data-label="Last used"><span class="muted">Never' not in content
    assert secret not in content


def test_list_leaves_out_revoked_tokens(admin_client, tenant, tenant_admin, api_token):
    revoke_token(tenant=tenant, actor=tenant_admin, token=api_token[0])

    response = admin_client.get(reverse("tokens:list"))

    assert api_token[0].truncated not in response.content.decode()


def test_list_leaves_out_other_tenants_tokens(admin_client, outsider):
    foreign = ApiTokenFactory(tenant=outsider.tenant, description="Their token")

    response = admin_client.get(reverse("tokens:list"))

    assert foreign.description not in response.content.decode()


def test_list_warns_when_token_access_is_off(admin_client, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(token_access_enabled_at=None)

    response = admin_client.get(reverse("tokens:list"))

    assert "Token Access is off" in response.content.decode()


def test_list_offers_add_api_token_as_a_button_with_a_fresh_nonce(admin_client):
    first = admin_client.get(reverse("tokens:list"))
    second = admin_client.get(reverse("tokens:list"))

    assert re.search(
        r'<button type="submit" class="primary">Add API token</button>', first.content.decode()
    )
    assert nonce_of(first) != nonce_of(second)


def test_add_page_without_javascript_has_a_fresh_nonce_and_is_never_cached(admin_client):
    first = admin_client.get(reverse("tokens:create"))
    second = admin_client.get(reverse("tokens:create"))

    assert nonce_of(first) != nonce_of(second)
    assert "no-store" in first["Cache-Control"]


def test_add_api_token_generates_and_displays_the_token_before_any_description(
    admin_client, tenant
):
    response = generate(admin_client)

    token = ApiToken.objects.get()
    secret = response.context["secret"]
    content = response.content.decode()
    assert response.status_code == 200
    assert secret in content
    assert token.digest != secret
    assert token.tenant == tenant
    assert token.description == ""
    assert not token.is_saved
    assert 'data-copy-target="new-token"' in content
    assert "the full token will never be displayed again" in content
    assert "API token description" in content
    assert reverse("tokens:save", args=[token.public_id]) in content


def test_a_generated_token_does_not_work_until_saved(admin_client, tenant):
    generate(admin_client)

    token = ApiToken.objects.get()
    assert not token.is_active
    assert not ApiToken.objects.active().exists()


def test_save_stores_the_description_and_returns_to_the_list(admin_client, tenant, tenant_admin):
    generate(admin_client)
    token = ApiToken.objects.get()

    response = save(admin_client, token, "Microsoft Entra ID")

    token.refresh_from_db()
    assert response["Location"] == reverse("tokens:list")
    assert token.description == "Microsoft Entra ID"
    assert token.is_active
    assert "was saved" in " ".join(messages_of(response))
    event = AuditEvent.objects.get(action="token.created")
    assert event.actor_id == str(tenant_admin.public_id)
    assert event.changes["description"] == [None, "Microsoft Entra ID"]


def test_saved_token_is_listed_in_its_truncated_form(admin_client):
    generated = generate(admin_client)
    token = ApiToken.objects.get()
    save(admin_client, token, "Microsoft Entra ID")

    response = admin_client.get(reverse("tokens:list"))

    content = response.content.decode()
    assert "Microsoft Entra ID" in content
    assert token.truncated in content
    assert generated.context["secret"] not in content


def test_unsaved_token_is_not_listed_and_has_no_detail_page(admin_client):
    generate(admin_client)
    token = ApiToken.objects.get()

    listed = admin_client.get(reverse("tokens:list"))
    detail = admin_client.get(reverse("tokens:detail", args=[token.public_id]))

    assert token.truncated not in listed.content.decode()
    assert detail.status_code == 404


def test_saving_twice_saves_once_and_keeps_the_first_description(admin_client):
    generate(admin_client)
    token = ApiToken.objects.get()

    save(admin_client, token, "First")
    second = save(admin_client, token, "Second")

    token.refresh_from_db()
    assert token.description == "First"
    assert second["Location"] == reverse("tokens:list")
    assert "already saved" in " ".join(messages_of(second))
    assert AuditEvent.objects.filter(action="token.created").count() == 1


def test_discard_deletes_the_unsaved_token(admin_client):
    generate(admin_client)
    token = ApiToken.objects.get()

    response = admin_client.post(reverse("tokens:discard", args=[token.public_id]))

    assert response["Location"] == reverse("tokens:list")
    assert not ApiToken.objects.exists()
    assert "discarded" in " ".join(messages_of(response))


def test_discard_leaves_a_saved_token_alone(admin_client, api_token):
    token = api_token[0]

    response = admin_client.post(reverse("tokens:discard", args=[token.public_id]))

    token.refresh_from_db()
    assert token.is_active
    assert "revoke it" in " ".join(messages_of(response))


def test_saving_a_token_generated_over_an_hour_ago_is_refused(admin_client):
    generate(admin_client)
    token = ApiToken.objects.get()
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - timedelta(hours=2))

    response = save(admin_client, token)

    token.refresh_from_db()
    assert not token.is_saved
    assert "not saved within an hour" in " ".join(messages_of(response))


def test_generation_response_is_never_cached(admin_client):
    response = generate(admin_client)

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_secret_appears_in_exactly_one_response(admin_client):
    created = generate(admin_client)
    secret = created.context["secret"]
    token = ApiToken.objects.get()

    later = [
        save(admin_client, token),
        admin_client.get(reverse("tokens:list")),
        admin_client.get(reverse("tokens:detail", args=[token.public_id])),
        admin_client.get(reverse("tokens:revoke", args=[token.public_id])),
        admin_client.get(reverse("tokens:create")),
        admin_client.get(reverse("tokens:settings")),
        admin_client.get(reverse("tokens:provisioning")),
        admin_client.get(reverse("portal:settings")),
        generate(admin_client),
        save(admin_client, token),
    ]

    responses = [created, *later]
    assert [secret in r.content.decode() for r in responses].count(True) == 1
    assert secret in created.content.decode()


def test_secret_is_kept_in_neither_the_session_nor_the_log(admin_client, caplog):
    caplog.set_level(logging.DEBUG)

    response = generate(admin_client)
    saved = save(admin_client, ApiToken.objects.get())

    secret = response.context["secret"]
    assert secret not in str(dict(admin_client.session.items()))
    assert secret not in caplog.text
    assert secret not in saved.get("Location", "")


def test_resubmitting_the_same_form_creates_one_token_and_shows_no_secret(admin_client):
    first = generate(admin_client)

    second = generate(admin_client)

    assert ApiToken.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == reverse("tokens:list")
    assert first.context["secret"] not in second.content.decode()
    assert "pressed twice" in " ".join(messages_of(second))


def test_double_click_on_add_api_token_creates_one_token(admin_client):
    nonce = nonce_of(admin_client.get(reverse("tokens:list")))

    responses = [generate(admin_client, nonce=nonce), generate(admin_client, nonce=nonce)]

    assert ApiToken.objects.count() == 1
    assert [r.status_code for r in responses] == [200, 302]


def test_two_forms_make_two_tokens(admin_client):
    first_nonce = nonce_of(admin_client.get(reverse("tokens:list")))
    second_nonce = nonce_of(admin_client.get(reverse("tokens:list")))

    generate(admin_client, nonce=first_nonce)
    generate(admin_client, nonce=second_nonce)

    assert ApiToken.objects.count() == 2


def test_description_is_required(admin_client):
    generate(admin_client)
    token = ApiToken.objects.get()

    response = save(admin_client, token, "")

    token.refresh_from_db()
    assert response.status_code == 200
    assert "Enter a description for the token." in response.content.decode()
    assert not token.is_saved


def test_failed_save_without_the_token_posted_back_shows_it_truncated(admin_client):
    secret = generate(admin_client).context["secret"]
    token = ApiToken.objects.get()

    response = save(admin_client, token, "   ")

    content = response.content.decode()
    assert token.truncated in content
    assert secret not in content


def test_description_longer_than_100_characters_is_refused(admin_client):
    generate(admin_client)
    token = ApiToken.objects.get()

    response = save(admin_client, token, "x" * 101)

    token.refresh_from_db()
    assert "at most 100 characters" in response.content.decode()
    assert not token.is_saved


def test_form_without_a_nonce_creates_nothing_and_gets_a_fresh_one(admin_client):
    response = admin_client.post(reverse("tokens:create"), {})

    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert "out of date" in " ".join(messages_of(response))
    assert len(nonce_of(response)) >= 32


def test_outsider_cannot_save_or_discard_another_tenants_generated_token(
    client, outsider, tenant, tenant_admin
):
    client.force_login(tenant_admin)
    generate(client)
    token = ApiToken.objects.get()
    client.force_login(outsider)

    saved = save(client, token)
    discarded = client.post(reverse("tokens:discard", args=[token.public_id]))

    token.refresh_from_db()
    assert [saved.status_code, discarded.status_code] == [404, 404]
    assert not token.is_saved


def test_detail_shows_only_the_truncated_form_and_a_revoke_action(admin_client, api_token):
    token, secret = api_token

    response = admin_client.get(reverse("tokens:detail", args=[token.public_id]))

    content = response.content.decode()
    assert token.truncated in content
    assert secret not in content
    assert reverse("tokens:revoke", args=[token.public_id]) in content


def test_revoke_page_asks_for_confirmation_and_changes_nothing(admin_client, api_token):
    token = api_token[0]

    response = admin_client.get(reverse("tokens:revoke", args=[token.public_id]))

    token.refresh_from_db()
    assert response.status_code == 200
    assert "Revoke token" in response.content.decode()
    assert token.revoked_at is None


def test_confirming_revocation_revokes_and_says_so(admin_client, api_token, tenant_admin):
    token = api_token[0]

    response = admin_client.post(reverse("tokens:revoke", args=[token.public_id]))

    token.refresh_from_db()
    assert response["Location"] == reverse("tokens:list")
    assert token.revoked_at is not None
    assert "was revoked" in " ".join(messages_of(response))
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor_id == str(tenant_admin.public_id)


def test_revoked_token_detail_has_no_revoke_action(admin_client, tenant, tenant_admin, api_token):
    token = api_token[0]
    revoke_token(tenant=tenant, actor=tenant_admin, token=token)

    response = admin_client.get(reverse("tokens:detail", args=[token.public_id]))

    content = response.content.decode()
    assert "Revoked" in content
    assert reverse("tokens:revoke", args=[token.public_id]) not in content


def test_outsider_gets_404_for_another_tenants_token(client, outsider, api_token):
    client.force_login(outsider)

    detail = client.get(reverse("tokens:detail", args=[api_token[0].public_id]))
    revoke = client.post(reverse("tokens:revoke", args=[api_token[0].public_id]))

    api_token[0].refresh_from_db()
    assert detail.status_code == 404
    assert revoke.status_code == 404
    assert api_token[0].revoked_at is None


@pytest.mark.parametrize(
    "name", ["tokens:list", "tokens:create", "tokens:settings", "tokens:provisioning"]
)
def test_non_admin_gets_403(client, end_user, name):
    client.force_login(end_user)

    response = client.get(reverse(name))

    assert response.status_code == 403
    assert "admins can open its settings" in response.content.decode()


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("tokens:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_switching_token_access_on(admin_client, tenant, tenant_admin):
    Tenant.objects.filter(pk=tenant.pk).update(token_access_enabled_at=None)

    response = admin_client.post(reverse("tokens:settings"), {"token_access": "on"})

    tenant.refresh_from_db()
    assert response["Location"] == reverse("tokens:settings")
    assert tenant.has_token_access
    assert "Token Access is on" in " ".join(messages_of(response))
    assert AuditEvent.objects.get(action="tenant.token_access").actor_id == str(
        tenant_admin.public_id
    )


def test_switching_token_access_off_asks_first_and_changes_nothing(admin_client, tenant):
    response = admin_client.post(reverse("tokens:settings"), {})

    tenant.refresh_from_db()
    assert response["Location"] == reverse("tokens:switch_off")
    assert tenant.has_token_access
    confirmation = admin_client.get(response["Location"]).content.decode()
    assert "Switch Token Access off?" in confirmation
    assert 'class="callout warning"' in confirmation


def test_switching_token_access_off(admin_client, tenant):
    response = admin_client.post(reverse("tokens:switch_off"))

    tenant.refresh_from_db()
    assert not tenant.has_token_access
    assert "Token Access is off" in " ".join(messages_of(response))


def test_switching_token_access_off_is_a_warning_not_a_success(admin_client, tenant):
    response = admin_client.post(reverse("tokens:switch_off"))

    (message,) = get_messages(response.wsgi_request)
    assert message.level_tag == "warning"


def test_settings_tab_shows_the_switch_in_its_current_state(admin_client):
    response = admin_client.get(reverse("tokens:settings"))

    assert re.search(r'role="switch"[^>]*checked', response.content.decode())


def test_provisioning_tab_shows_what_to_enter_in_entra(admin_client, tenant_admin):
    response = admin_client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert "http://testserver/scim/v2" in content
    assert "http://my-tenant.commbox.test/scim/v2" in content
    assert tenant_admin.user_name in content
    assert reverse("tokens:create") in content


def test_provisioning_tab_lists_the_newest_page_of_scim_requests(admin_client, tenant, outsider):
    ScimRequest.objects.bulk_create(
        ScimRequest(
            tenant=tenant, method="GET", path=f"/scim/v2/Users/{n:03d}", status=200, duration_ms=n
        )
        for n in range(55)
    )
    ScimRequest.objects.create(
        tenant=outsider.tenant, method="POST", path="/scim/v2/Theirs", status=201, duration_ms=3
    )

    response = admin_client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert content.count("/scim/v2/Users/") == 20
    assert "/scim/v2/Users/054" in content
    assert "/scim/v2/Users/034" not in content
    assert "/scim/v2/Theirs" not in content


def test_provisioning_tab_shows_how_many_requests_came_without_a_valid_token(admin_client, tenant):
    for _ in range(3):
        count_request_without_token(tenant.pk)

    response = admin_client.get(reverse("tokens:provisioning"))

    assert "3 requests without a valid token" in response.content.decode()


def test_provisioning_role_can_be_set_to_end_user(admin_client, tenant):
    response = admin_client.post(reverse("tokens:provisioning"), {"role": "end-user"})

    tenant.refresh_from_db()
    assert response["Location"] == reverse("tokens:provisioning")
    assert tenant.provisioning_role == "end-user"
    assert AuditEvent.objects.filter(action="tenant.provisioning_role").exists()


def test_provisioning_role_cannot_be_admin(admin_client, tenant):
    response = admin_client.post(reverse("tokens:provisioning"), {"role": "admin"})

    tenant.refresh_from_db()
    assert response.status_code == 200
    assert tenant.provisioning_role == "agent"


def test_token_created_by_a_command_shows_as_such(admin_client, tenant):
    create_token(tenant=tenant, actor=None, description="From a script")

    response = admin_client.get(reverse("tokens:list"))

    assert "management command" in response.content.decode()


def test_expired_token_is_not_in_the_active_list(admin_client, tenant):
    token, _secret = create_token(tenant=tenant, actor=None, description="Old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))

    response = admin_client.get(reverse("tokens:list"))

    assert token.truncated not in response.content.decode().split("<tbody>")[1]


def test_provisioning_tab_shows_the_domain_with_a_copy_button(admin_client):
    response = admin_client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert re.search(r'<code id="domain"[^>]*>my-tenant</code>', content)
    assert 'data-copy-target="domain"' in content
    assert "Admin Username</strong>, <strong>Secret Token</strong> and <strong>Domain" in content


def test_provisioning_tab_explains_a_refused_request(admin_client, tenant, api_token):
    ScimRequest.objects.create(
        tenant=tenant,
        token=api_token[0],
        method="GET",
        path="/scim/v2/Users",
        status=401,
        duration_ms=2,
        refusal="revoked",
        detail="The API token has been revoked.",
    )

    response = admin_client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert "Refused: Revoked API token" in content
    assert "The API token has been revoked." in content
    assert api_token[0].truncated in content


def test_provisioning_tab_shows_paths_decoded(admin_client, tenant):
    ScimRequest.objects.create(
        tenant=tenant,
        method="GET",
        path="/scim/v2/Users?filter=userName%20eq%20%22grace%40contoso.com%22",
        status=200,
        duration_ms=2,
    )

    response = admin_client.get(reverse("tokens:provisioning"))

    assert "filter=userName eq &quot;grace@contoso.com&quot;" in response.content.decode()


def test_provisioning_tab_summarises_the_latest_sync_cycle(admin_client, scim_client, tenant):
    scim_client.post(
        "/scim/v2/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "grace@contoso.com",
        },
        format="json",
    )
    scim_client.get("/scim/v2/Users/not-a-uuid")

    response = admin_client.get(reverse("tokens:provisioning"))

    cycle = response.context["cycles"][0]
    content = response.content.decode()
    assert (cycle.requests, cycle.errors, cycle.changes["users_created"]) == (2, 1, 1)
    assert "1 created" in content
    assert "1 error</span>" in content


def test_provisioning_tab_draws_the_last_24_hours_as_svg_without_inline_style(admin_client, tenant):
    ScimRequest.objects.create(
        tenant=tenant, method="GET", path="/scim/v2/Users", status=200, duration_ms=2
    )

    response = admin_client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert len(response.context["intervals"]) == 48
    assert '<rect class="bar-ok"' in content
    assert "style=" not in content
    assert "1 OK" in content


def test_scim_admin_grants_are_off_by_default_and_shown_on_the_provisioning_tab(
    admin_client, tenant
):
    response = admin_client.get(reverse("tokens:provisioning"))

    assert not response.context["admin_grants_form"].initial["scim_may_grant_admin"]
    assert "Let Entra ID make users admins" in response.content.decode()


def test_admin_lets_scim_grant_admin_and_it_is_audited(admin_client, tenant):
    response = admin_client.post(
        reverse("tokens:scim_admin_grants"), {"scim_may_grant_admin": "on"}
    )

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.scim_may_grant_admin
    assert AuditEvent.objects.get(action="tenant.scim_admin_grants").changes == {
        "scim_may_grant_admin": [False, True]
    }


def test_admin_switches_scim_admin_grants_off(admin_client, scim_may_grant_admin):
    admin_client.post(reverse("tokens:scim_admin_grants"), {})

    scim_may_grant_admin.refresh_from_db()
    assert not scim_may_grant_admin.scim_may_grant_admin


def test_a_token_keeps_its_creators_name_after_the_creator_is_deleted(
    admin_client, tenant, tenant_admin
):
    creator = AdminFactory(tenant=tenant, user_name="alice@my-tenant.example")
    token, _secret = create_token(tenant=tenant, actor=creator, description="Entra ID")
    delete_user(tenant=tenant, actor=tenant_admin, user=creator)

    listing = admin_client.get(reverse("tokens:list")).content.decode()
    detail = admin_client.get(reverse("tokens:detail", args=[token.public_id])).content.decode()

    assert "alice@my-tenant.example" in listing
    assert "alice@my-tenant.example" in detail
    assert "management command" not in detail


def test_a_token_made_by_a_command_says_so(admin_client, tenant):
    token, _secret = create_token(tenant=tenant, actor=None, description="Made by a command")

    detail = admin_client.get(reverse("tokens:detail", args=[token.public_id])).content.decode()

    assert "management command" in detail
