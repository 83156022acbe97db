"""The API module's token flow in a real headless Chromium, step by step as the Commbox
tutorial names it: Add API token, the token generated and displayed, API token
description, Copy, Save, and reopening the token to see its truncated form."""

import re
import urllib.request

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from apps.portal.services import create_tenant
from apps.tokens.models import ApiToken
from tests.browser.conftest import PASSWORD

TOKEN_PATTERN = r"cbx_[0-9A-Za-z]{36}"
pytestmark = pytest.mark.browser


def call_scim_base(base_url: str, secret: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/scim/v2/ServiceProviderConfig",
        headers={"Authorization": f"Bearer {secret}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_tutorial_steps_generate_display_describe_copy_save_and_reopen_truncated(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API").click()
    expect(page.get_by_role("heading", name="Active API Tokens")).to_be_visible()

    # "Click Add API token": the token is generated and displayed.
    page.get_by_role("button", name="Add API token").click()
    dialog = page.get_by_role("dialog", name="Add API token")
    expect(dialog).to_be_visible()
    shown = dialog.locator("#new-token").inner_text().strip()
    assert re.fullmatch(TOKEN_PATTERN, shown)
    description = dialog.get_by_label("API token description")
    expect(description).to_have_value("")
    expect(dialog.get_by_text("the full token will never be displayed again")).to_be_visible()

    # "Enter an API token description", then "Copy".
    description.fill("Microsoft Entra ID")
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_text("Copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown

    # "Click Save to return to the API page."
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("API token “Microsoft Entra ID” was saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Active API Tokens")).to_be_visible()
    token = ApiToken.objects.get()
    assert token.description == "Microsoft Entra ID"
    assert copied not in page.content()

    # "Click the token to reopen it": only the truncated version.
    page.get_by_role("link", name="Microsoft Entra ID").click()
    expect(page.get_by_text(token.truncated)).to_be_visible()
    assert copied not in page.content()
    page.go_back()
    page.reload()
    assert copied not in page.content()
    assert ApiToken.objects.count() == 1
    assert call_scim_base(live_server.url, copied) == 200


def test_closing_the_dialog_without_saving_discards_the_token(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    page.goto(f"{live_server.url}/settings/api/")
    page.get_by_role("button", name="Add API token").click()
    dialog = page.get_by_role("dialog", name="Add API token")
    shown = dialog.locator("#new-token").inner_text().strip()

    page.keyboard.press("Escape")

    expect(page.get_by_text("was discarded; it was never usable")).to_be_visible()
    assert not ApiToken.objects.exists()
    assert shown not in page.content()


def test_reloading_with_the_dialog_open_never_shows_the_token_again(
    live_server, live_tenant, sign_in, browser_page
):
    page = browser_page
    sign_in(page)
    page.goto(f"{live_server.url}/settings/api/")
    page.get_by_role("button", name="Add API token").click()
    shown = page.get_by_role("dialog").locator("#new-token").inner_text().strip()

    page.reload()

    assert shown not in page.content()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert not ApiToken.objects.active().exists()


def test_without_javascript_the_same_steps_work_as_pages(
    live_server, live_tenant, sign_in, page_without_javascript
):
    page = page_without_javascript
    sign_in(page)
    page.goto(f"{live_server.url}/settings/api/")

    page.get_by_role("button", name="Add API token").click()
    shown = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(TOKEN_PATTERN, shown)
    page.get_by_label("API token description").fill("Entra ID provisioning")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("API token “Entra ID provisioning” was saved.")).to_be_visible()
    token = ApiToken.objects.get()
    expect(page.get_by_text(token.truncated)).to_be_visible()
    assert shown not in page.content()
    # Back to the no-store page that showed the token: Chromium refuses to show it from
    # its cache and would have to post the form again.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    assert ApiToken.objects.count() == 1


def test_admin_switches_token_access_on_and_the_saved_token_works(
    live_server, transactional_db, sign_in, browser_page
):
    create_tenant(
        actor=None, subdomain="my-tenant", admin_user_name="admin", admin_password=PASSWORD
    )
    page = browser_page
    sign_in(page)

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API").click()
    page.get_by_role("navigation", name="API").get_by_role("link", name="Settings").click()
    page.get_by_role("switch", name="Token Access").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Token Access is on: active API tokens are accepted.")).to_be_visible()

    page.get_by_role("navigation", name="API").get_by_role("link", name="Tokens").click()
    page.get_by_role("button", name="Add API token").click()
    dialog = page.get_by_role("dialog", name="Add API token")
    dialog.get_by_label("API token description").fill("Entra ID provisioning")
    dialog.get_by_role("button", name="Copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    dialog.get_by_role("button", name="Save").click()
    # The page says so once the save is committed; only then does the test read the table
    # (SQLite's shared in-memory test database refuses a read while the server writes).
    expect(page.get_by_text("API token “Entra ID provisioning” was saved.")).to_be_visible()
    expect(page.get_by_text(ApiToken.objects.get().truncated)).to_be_visible()

    assert call_scim_base(live_server.url, copied) == 200
