"""The whole token flow in a real headless Chromium: sign in, switch Token Access on,
add a token, copy it, and call the SCIM base endpoint with what was copied."""

import os
import re
import shutil
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.portal.services import create_tenant
from apps.tokens.models import ApiToken

# Playwright's sync API runs an event loop in this thread; the ORM calls made here
# between browser steps are plain synchronous queries.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "a-long-enough-passphrase"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    executable = shutil.which("chromium")
    assert executable, "Chromium is not installed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def call_scim_base(base_url: str, secret: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/scim/v2/ServiceProviderConfig",
        headers={"Authorization": f"Bearer {secret}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


@pytest.mark.browser
def test_admin_creates_copies_and_uses_a_token_that_is_never_shown_again(
    live_server, transactional_db, browser_page
):
    create_tenant(
        actor=None, subdomain="my-tenant", admin_user_name="admin", admin_password=PASSWORD
    )
    page = browser_page

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Account").fill("my-tenant")
    page.get_by_label("userName").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API").click()
    page.get_by_role("navigation", name="API").get_by_role("link", name="Settings").click()
    page.get_by_role("switch", name="Token Access").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Token Access is on: active API tokens are accepted.")).to_be_visible()

    page.get_by_role("navigation", name="API").get_by_role("link", name="Tokens").click()
    page.get_by_role("link", name="Add API token").click()
    page.get_by_label("Description").fill("Entra ID provisioning")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("It will never be shown again")).to_be_visible()

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = page.locator("#new-token").inner_text().strip()
    assert copied == shown
    assert re.fullmatch(r"cbx_[0-9A-Za-z]{36}", copied)
    token = ApiToken.objects.get()

    page.reload()
    assert copied not in page.content()

    page.goto(f"{live_server.url}/settings/api/")
    expect(page.get_by_text(token.truncated)).to_be_visible()
    assert copied not in page.content()
    page.get_by_role("link", name="Entra ID provisioning").click()
    expect(page.get_by_text(token.truncated)).to_be_visible()
    assert copied not in page.content()
    assert ApiToken.objects.count() == 1

    assert call_scim_base(live_server.url, copied) == 200
