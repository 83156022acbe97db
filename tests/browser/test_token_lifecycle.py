"""The token's life in a real headless Chromium: a refused Save never loses the token (with
JavaScript and without), expiry warnings, and a rotation in which both tokens work over
real HTTP during the overlap and the old one is refused after it."""

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.tenants.access import access_changed
from apps.tokens.models import ApiToken
from apps.tokens.services import create_token

pytestmark = pytest.mark.browser
TOKEN_PATTERN = r"cbx_[0-9A-Za-z]{36}"


def scim_get(base_url: str, secret: str) -> tuple[int, str]:
    """A real HTTP SCIM request as Entra sends it: status and the error detail, if any."""
    request = urllib.request.Request(
        f"{base_url}/scim/v2/Users?filter=userName%20eq%20%22probe%40contoso.com%22",
        headers={"Authorization": f"Bearer {secret}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["detail"]


def open_add_dialog(page, base_url):
    page.goto(f"{base_url}/settings/api/")
    page.get_by_role("button", name="Add API token").click()
    dialog = page.get_by_role("dialog", name="Add API token")
    expect(dialog).to_be_visible()
    return dialog, dialog.locator("#new-token").inner_text().strip()


def test_an_empty_description_is_refused_in_the_dialog_before_anything_is_sent(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    dialog, shown = open_add_dialog(page, live_server.url)
    saves = []
    page.on(
        "request", lambda request: saves.append(request.url) if "/save/" in request.url else None
    )

    dialog.get_by_role("button", name="Save").click()

    description = dialog.get_by_label("API token description")
    expect(dialog.get_by_text("Enter a description for the token.")).to_be_visible()
    expect(description).to_be_focused()
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#new-token")).to_have_text(shown)
    assert saves == []
    assert not ApiToken.objects.get().is_saved


def test_a_save_the_server_refuses_keeps_the_dialog_open_with_the_token(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    dialog, shown = open_add_dialog(page, live_server.url)
    # Another admin saves "Entra ID" while this dialog is open: only the server knows.
    create_token(tenant=live_tenant, actor=None, description="Entra ID")

    dialog.get_by_label("API token description").fill("Entra ID")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_text("Another active token is described “Entra ID”")).to_be_visible()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#new-token")).to_have_text(shown)
    expect(dialog.get_by_label("API token description")).to_be_focused()
    dialog.get_by_label("API token description").fill("Entra ID (second)")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("API token “Entra ID (second)” was saved.")).to_be_visible()
    assert ApiToken.objects.filter(saved_at__isnull=False).count() == 2
    assert shown not in page.content()


def test_without_javascript_a_refused_save_shows_the_token_again_beside_the_message(
    live_server, live_tenant, sign_in, page_without_javascript
):
    page = page_without_javascript
    sign_in(page)
    create_token(tenant=live_tenant, actor=None, description="Entra ID")
    page.goto(f"{live_server.url}/settings/api/")
    page.get_by_role("button", name="Add API token").click()
    shown = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(TOKEN_PATTERN, shown)

    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Enter a description for the token.")).to_be_visible()
    expect(page.locator("#new-token")).to_have_text(shown)
    page.get_by_label("API token description").fill("entra id")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Another active token is described “entra id”")).to_be_visible()
    expect(page.locator("#new-token")).to_have_text(shown)
    assert "secret" not in page.url and shown not in page.url
    page.get_by_label("API token description").fill("Entra ID (second)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("API token “Entra ID (second)” was saved.")).to_be_visible()
    assert ApiToken.objects.get(description="Entra ID (second)").is_active


def test_pages_warn_which_token_expires_when_from_14_days_before(
    live_server, live_tenant, sign_in, browser_page
):
    token, _secret = create_token(
        tenant=live_tenant, actor=None, description="Entra ID", expires_in_days=10
    )
    when = f"{token.expires_at:%Y-%m-%d %H:%M} UTC"
    page = browser_page
    sign_in(page)

    for path in (
        "/settings/",
        "/settings/api/",
        "/settings/api/settings/",
        "/settings/api/provisioning/",
    ):
        page.goto(f"{live_server.url}{path}")
        notice = page.locator("#token-expiry-notice")
        expect(notice).to_contain_text(f"“Entra ID” ({token.truncated}) expires on {when}")


def test_rotation_keeps_both_tokens_working_during_the_overlap_then_refuses_the_old_one(
    live_server, live_tenant, sign_in, browser_page
):
    old, old_secret = create_token(tenant=live_tenant, actor=None, description="Entra ID")
    base = live_server.url
    assert scim_get(base, old_secret)[0] == 200
    page = browser_page
    sign_in(page)
    page.goto(f"{base}/settings/api/tokens/{old.public_id}/")

    page.get_by_role("button", name="Replace").click()
    dialog = page.get_by_role("dialog", name="Replace API token")
    new_secret = dialog.locator("#new-token").inner_text().strip()
    dialog.get_by_label("API token description").fill("Entra ID 2027")
    dialog.get_by_label("Keep the old token working for").select_option(label="1 hour")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The token it replaces")).to_be_visible()

    # During the overlap, Entra may send either token.
    assert scim_get(base, old_secret)[0] == 200
    assert scim_get(base, new_secret)[0] == 200
    page.goto(f"{base}/settings/api/")
    old_row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="Entra ID", exact=True)
    )
    expect(old_row).to_contain_text("Replaced by")
    new_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Entra ID 2027"))
    expect(new_row).to_contain_text(f"Replaces {old.truncated}")
    expect(new_row).to_contain_text("Used last by Entra")

    # The overlap ends: its end is moved into the past, as the passing hour would, and the
    # processes are told, as every writer of a token row does (apps/tenants/access.py).
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    access_changed(live_tenant.pk)

    status, detail = scim_get(base, old_secret)
    assert status == 401
    assert "expired" in detail
    assert scim_get(base, new_secret)[0] == 200
    # The request log, filtered to errors and refusals (it opens when filtered).
    page.goto(f"{base}/settings/api/provisioning/?log=problems")
    expect(page.get_by_text("Refused: Expired API token")).to_be_visible()


def test_escape_discards_the_token_and_returns_focus_to_the_button_that_opened_the_dialog(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    dialog, shown = open_add_dialog(page, live_server.url)

    page.keyboard.press("Escape")

    expect(page.get_by_text("was discarded; it was never usable")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Add API token")).to_be_focused()
    assert shown not in page.content()
    assert not ApiToken.objects.exists()
    # The button's one-time nonce was renewed: pressing it again generates a new token.
    page.get_by_role("button", name="Add API token").click()
    expect(page.get_by_role("dialog", name="Add API token").locator("#new-token")).to_have_text(
        re.compile(TOKEN_PATTERN)
    )


def test_after_a_save_focus_is_on_add_api_token_again(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    dialog, _shown = open_add_dialog(page, live_server.url)

    dialog.get_by_label("API token description").fill("Microsoft Entra ID")
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_text("API token “Microsoft Entra ID” was saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Add API token")).to_be_focused()
