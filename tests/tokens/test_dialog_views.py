"""The token dialog's pages (the no-JavaScript path, which the dialog's script posts to as
well): a refused Save shows the token again, expiry and replacement, editing a description,
the account's longest lifetime and the expiry notice."""

import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import ScimRequest
from apps.tokens.models import ApiToken
from apps.tokens.secrets import new_secret
from apps.tokens.services import create_token, set_token_max_lifetime

NONCE = "y" * 43


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def add(admin_client) -> tuple[ApiToken, str]:
    """Press Add API token: the generated token and its secret as the page shows it."""
    response = admin_client.post(reverse("tokens:create"), {"nonce": NONCE})
    secret = re.search(r'id="new-token"[^>]*>([^<]+)<', response.content.decode()).group(1)
    return ApiToken.objects.get(saved_at__isnull=True), secret


def save(admin_client, token, secret, **fields):
    """Press Save in the dialog: the page posts the token back with the form."""
    data = {"description": "Entra ID", "secret": secret, **fields}
    return admin_client.post(reverse("tokens:save", args=[token.public_id]), data)


def test_refused_save_shows_the_token_again_with_the_message_beside_the_field(admin_client):
    token, secret = add(admin_client)

    response = save(admin_client, token, secret, description="  ")

    content = response.content.decode()
    assert response.status_code == 200
    assert f'aria-labelledby="new-token-label">{secret}</code>' in content
    assert re.search(r'has-error">\s*<label for="id_description"', content)
    assert "Enter a description for the token." in content
    assert not ApiToken.objects.get(pk=token.pk).is_saved


def test_refused_save_for_a_duplicate_description_keeps_the_token_on_screen(
    admin_client, api_token
):
    token, secret = add(admin_client)

    response = save(admin_client, token, secret, description="entra id")

    content = response.content.decode()
    assert secret in content
    assert "Another active token is described “entra id”" in content


def test_refused_save_does_not_show_a_posted_value_that_is_not_the_token(admin_client):
    token, _secret = add(admin_client)
    other = new_secret()

    response = save(admin_client, token, other, description="")

    content = response.content.decode()
    assert other not in content
    assert token.truncated in content


def test_the_posted_back_token_is_never_logged(admin_client, caplog):
    token, secret = add(admin_client)

    with caplog.at_level(logging.DEBUG):
        save(admin_client, token, secret, description="")
        save(admin_client, token, secret)

    assert secret not in caplog.text
    assert ApiToken.objects.get(pk=token.pk).is_saved


def test_save_sets_the_expiry_chosen_in_days(admin_client):
    token, secret = add(admin_client)

    save(admin_client, token, secret, expires="90")

    token.refresh_from_db()
    assert token.expires_at - token.saved_at == pytest.approx(
        timedelta(days=90), abs=timedelta(seconds=5)
    )


def test_save_on_a_date_without_a_date_is_refused_beside_the_date(admin_client):
    token, secret = add(admin_client)

    response = save(admin_client, token, secret, expires="date", expires_on="")

    assert "Choose the date the token expires." in response.content.decode()
    assert secret in response.content.decode()
    assert not ApiToken.objects.get(pk=token.pk).is_saved


def test_never_is_not_offered_when_the_account_sets_a_maximum(admin_client, tenant):
    set_token_max_lifetime(tenant=tenant, actor=None, days=90)

    response = admin_client.post(reverse("tokens:create"), {"nonce": NONCE})

    content = response.content.decode()
    assert 'value="never"' not in content
    assert 'value="180"' not in content
    assert "This account’s tokens expire within 90 days." in content


def test_save_past_the_account_maximum_is_refused_with_the_token_on_screen(admin_client, tenant):
    set_token_max_lifetime(tenant=tenant, actor=None, days=30)
    token, secret = add(admin_client)
    too_late = (timezone.now() + timedelta(days=40)).date().isoformat()

    response = save(admin_client, token, secret, expires="date", expires_on=too_late)

    content = response.content.decode()
    assert "This account’s tokens expire within 30 days" in content
    assert secret in content


def test_replace_shows_the_dialog_with_the_overlap_choice(admin_client, api_token):
    old, _secret = api_token

    response = admin_client.post(reverse("tokens:replace", args=[old.public_id]), {"nonce": NONCE})

    content = response.content.decode()
    assert "Replace API token" in content
    assert "Keep the old token working for" in content
    assert ApiToken.objects.get(saved_at__isnull=True).replaces == old


def test_saving_a_replacement_says_until_when_the_old_token_works(admin_client, api_token):
    old, _secret = api_token
    admin_client.post(reverse("tokens:replace", args=[old.public_id]), {"nonce": NONCE})
    new = ApiToken.objects.get(saved_at__isnull=True)

    response = admin_client.post(
        reverse("tokens:save", args=[new.public_id]),
        {"description": "Entra ID 2027", "overlap_hours": "72"},
        follow=True,
    )

    old.refresh_from_db()
    assert f"keeps working until {old.expires_at:%Y-%m-%d %H:%M} UTC" in response.content.decode()
    assert old.expires_at - ApiToken.objects.get(pk=new.pk).saved_at == pytest.approx(
        timedelta(hours=72), abs=timedelta(seconds=5)
    )


def test_both_rows_of_a_replacement_say_so_in_the_list(admin_client, api_token):
    old, _secret = api_token
    admin_client.post(reverse("tokens:replace", args=[old.public_id]), {"nonce": NONCE})
    new = ApiToken.objects.get(saved_at__isnull=True)
    admin_client.post(reverse("tokens:save", args=[new.public_id]), {"description": "Entra 2"})

    content = admin_client.get(reverse("tokens:list")).content.decode()

    assert f"Replaced by <code>{new.truncated}</code>; works until" in content
    assert f"Replaces <code>{old.truncated}</code>, which works until" in content


def test_list_marks_the_token_entra_used_last(admin_client, tenant, api_token):
    other, _secret = create_token(tenant=tenant, actor=None, description="CI")
    ScimRequest.objects.create(
        tenant=tenant,
        token=api_token[0],
        method="GET",
        path="/scim/v2/Users",
        status=200,
        duration_ms=1,
    )
    ScimRequest.objects.create(
        tenant=tenant,
        token=other,
        method="GET",
        path="/scim/v2/Users",
        status=401,
        duration_ms=1,
        refusal="expired",
    )

    content = admin_client.get(reverse("tokens:list")).content.decode()

    row = content.split(f'href="/settings/api/tokens/{api_token[0].public_id}/"')[1]
    assert row.split("</td>")[0].count("Used last by Entra") == 1
    assert content.count("Used last by Entra") == 1


def test_description_can_be_edited_after_saving(admin_client, api_token):
    token, _secret = api_token

    admin_client.post(
        reverse("tokens:describe", args=[token.public_id]), {"description": "Entra (prod)"}
    )

    assert ApiToken.objects.get().description == "Entra (prod)"


def test_editing_to_a_duplicate_description_is_refused_on_the_page(admin_client, tenant, api_token):
    other, _secret = create_token(tenant=tenant, actor=None, description="CI")

    response = admin_client.post(
        reverse("tokens:describe", args=[other.public_id]), {"description": "Entra ID"}
    )

    assert "Another active token is described" in response.content.decode()
    assert ApiToken.objects.get(pk=other.pk).description == "CI"


def test_settings_tab_sets_the_longest_token_lifetime(admin_client, tenant):
    admin_client.post(reverse("tokens:lifetime"), {"max_days": "180"})

    tenant.refresh_from_db()
    assert tenant.token_max_lifetime_days == 180


@pytest.mark.parametrize(
    "page", ["tokens:list", "tokens:settings", "tokens:provisioning", "portal:settings"]
)
def test_pages_say_which_token_expires_when_within_14_days(admin_client, tenant, page):
    token, _secret = create_token(
        tenant=tenant, actor=None, description="Entra", expires_in_days=10
    )

    content = admin_client.get(reverse(page)).content.decode()

    shown = f"{token.expires_at:%Y-%m-%d %H:%M} UTC"
    assert f'expires on <time datetime="{token.expires_at.isoformat()}">{shown}' in content


def test_a_token_expiring_in_more_than_14_days_has_no_notice(admin_client, tenant):
    create_token(tenant=tenant, actor=None, description="Entra", expires_in_days=30)

    content = admin_client.get(reverse("tokens:list")).content.decode()

    assert 'id="token-expiry-notice"' not in content


def test_a_replaced_token_ending_its_overlap_has_no_notice(admin_client, api_token):
    old, _secret = api_token
    admin_client.post(reverse("tokens:replace", args=[old.public_id]), {"nonce": NONCE})
    new = ApiToken.objects.get(saved_at__isnull=True)
    admin_client.post(reverse("tokens:save", args=[new.public_id]), {"description": "Entra 2"})

    content = admin_client.get(reverse("tokens:list")).content.decode()

    assert 'id="token-expiry-notice"' not in content
