"""A 100-character description without spaces (the form accepts it) must not widen any page
at 1280 px: no horizontal scrolling, and every table column stays in view."""

import pytest
from playwright.sync_api import expect

from apps.tokens.models import ApiToken
from apps.tokens.services import create_token
from apps.users.models import User
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser
LONG = "Entra" + "X" * 95

FITS = """() => {
  const page = document.documentElement.scrollWidth <= innerWidth;
  const tables = [...document.querySelectorAll("table")].every(
    (table) => table.getBoundingClientRect().right <= innerWidth
  );
  return page && tables;
}"""


@pytest.fixture
def long_token(live_tenant):
    token, _secret = create_token(tenant=live_tenant, actor=None, description=LONG)
    return token


def test_token_list_fits_with_a_long_description(live_server, sign_in, browser_page, long_token):
    sign_in(browser_page)

    browser_page.goto(f"{live_server.url}/settings/api/")

    expect(browser_page.get_by_role("link", name=LONG)).to_be_visible()
    assert browser_page.evaluate(FITS)


def test_token_detail_page_fits(live_server, sign_in, browser_page, long_token):
    sign_in(browser_page)

    browser_page.goto(f"{live_server.url}/settings/api/tokens/{long_token.public_id}/")

    expect(browser_page.locator("main h2").filter(has_text=LONG[:20])).to_be_visible()
    assert browser_page.evaluate(FITS)


def test_revoke_page_fits(live_server, sign_in, browser_page, long_token):
    sign_in(browser_page)

    browser_page.goto(f"{live_server.url}/settings/api/tokens/{long_token.public_id}/revoke/")

    expect(browser_page.locator("main h2").filter(has_text=LONG[:20])).to_be_visible()
    assert browser_page.evaluate(FITS)


def test_the_revoked_message_fits(live_server, sign_in, browser_page, long_token):
    sign_in(browser_page)
    browser_page.goto(f"{live_server.url}/settings/api/tokens/{long_token.public_id}/revoke/")

    browser_page.get_by_role("button", name="Revoke token").click()

    expect(browser_page.get_by_text("was revoked")).to_be_visible()
    assert browser_page.evaluate(FITS)
    assert ApiToken.objects.get().is_revoked


def test_activity_fits_and_keeps_its_changes_column_in_view(
    live_server, sign_in, browser_page, long_token
):
    sign_in(browser_page)

    browser_page.goto(f"{live_server.url}/settings/activity/")

    header = browser_page.get_by_role("columnheader", name="Changes")
    expect(header).to_be_in_viewport()
    assert browser_page.evaluate(FITS)


@pytest.fixture
def support_page(live_server, browser_page, transactional_db):
    """The browser signed in to /admin/ as a superuser."""
    User.objects.create_superuser("root", PASSWORD)
    browser_page.goto(f"{live_server.url}/admin/login/")
    browser_page.get_by_label("Username").fill("root")
    browser_page.get_by_label("Password").fill(PASSWORD)
    browser_page.get_by_role("button", name="Log in").click()
    return browser_page


def test_admin_token_changelist_fits_with_a_long_description(live_server, support_page, long_token):
    support_page.goto(f"{live_server.url}/admin/tokens/apitoken/")

    expect(support_page.get_by_role("link", name=LONG)).to_be_visible()
    assert support_page.evaluate(FITS)


def test_admin_user_changelist_fits_with_a_long_username(live_server, support_page, live_tenant):
    User.objects.create(tenant=live_tenant, user_name=f"{LONG}@contoso.com", display_name=LONG)

    support_page.goto(f"{live_server.url}/admin/users/user/")

    expect(support_page.get_by_role("link", name=f"{LONG}@contoso.com")).to_be_visible()
    assert support_page.evaluate(FITS)
