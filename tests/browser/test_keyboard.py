"""The admin's flows with the keyboard alone: Tab, Shift+Tab, Enter, Space and Escape.

At every step the focused element shows a focus indicator (an outline or a ring); the token
dialog takes focus when it opens, keeps it while open, closes on Escape, and focus comes
back to Add API token.
"""

import re

import pytest
from playwright.sync_api import expect

from apps.sso.models import SsoSettings
from apps.tokens.models import ApiToken
from tests.factories import AgentFactory
from tests.sso.idp import TestIdp

pytestmark = pytest.mark.browser
TOKEN_PATTERN = r"cbx_[0-9A-Za-z]{36}"

FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return false;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return outline || (style.boxShadow !== "none" && style.boxShadow !== "");
}"""
MAX_TABS = 60


def focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, *, key="Tab"):
    """Press Tab until `locator` has focus, checking the focus is visible at each stop."""
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if page.evaluate("document.activeElement !== document.body"):
            assert page.evaluate(FOCUS_SHOWN), page.evaluate("document.activeElement.outerHTML")
        if focused(locator):
            return
    raise AssertionError(f"{locator} was not reached with {key}")


@pytest.fixture
def keyboard_page(browser_page, sign_in, live_tenant):
    """Signed in as the tutorial's admin; the mouse is not used after this."""
    sign_in(browser_page)
    return browser_page


def open_token_dialog(page, live_server):
    page.goto(f"{live_server.url}/settings/api/")
    add = page.get_by_role("button", name="Add API token")
    tab_to(page, add)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add API token")
    expect(dialog).to_be_visible()
    return add, dialog


def test_token_dialog_takes_focus_keeps_it_and_saves_with_the_keyboard(live_server, keyboard_page):
    page = keyboard_page
    add, dialog = open_token_dialog(page, live_server)
    description = dialog.get_by_label("API token description")
    assert focused(description)
    assert page.evaluate(FOCUS_SHOWN)

    # Kept inside: Tab and Shift+Tab cycle through the dialog's controls.
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        page.keyboard.press(key)
        assert dialog.evaluate("d => d.contains(document.activeElement)")

    tab_to(page, dialog.get_by_role("button", name="Copy"))
    page.keyboard.press("Enter")
    expect(dialog.get_by_text("Copied.")).to_be_visible()
    assert re.fullmatch(TOKEN_PATTERN, page.evaluate("navigator.clipboard.readText()"))
    tab_to(page, description)
    page.keyboard.type("Microsoft Entra ID")
    tab_to(page, dialog.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("API token “Microsoft Entra ID” was saved.")).to_be_visible()
    assert ApiToken.objects.get().description == "Microsoft Entra ID"
    expect(page.get_by_role("button", name="Add API token")).to_be_focused()
    assert page.evaluate(FOCUS_SHOWN)


def test_escape_discards_the_token_and_focus_returns_to_add_api_token(live_server, keyboard_page):
    page = keyboard_page
    open_token_dialog(page, live_server)

    page.keyboard.press("Escape")

    expect(page.get_by_text("was discarded; it was never usable")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Add API token")).to_be_focused()
    assert page.evaluate(FOCUS_SHOWN)
    assert not ApiToken.objects.exists()


def test_discard_button_discards_the_token_and_focus_returns_to_add_api_token(
    live_server, keyboard_page
):
    page = keyboard_page
    _add, dialog = open_token_dialog(page, live_server)

    tab_to(page, dialog.get_by_role("button", name="Discard"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("was discarded; it was never usable")).to_be_visible()
    expect(page.get_by_role("button", name="Add API token")).to_be_focused()
    assert not ApiToken.objects.exists()


def test_token_access_is_switched_with_the_keyboard(live_server, keyboard_page, live_tenant):
    live_tenant.token_access_enabled_at = None
    live_tenant.save(update_fields=["token_access_enabled_at"])
    page = keyboard_page
    page.goto(f"{live_server.url}/settings/api/settings/")

    switch = page.get_by_role("switch", name="Token Access")
    tab_to(page, switch)
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Token Access is on: active API tokens are accepted.")).to_be_visible()
    live_tenant.refresh_from_db()
    assert live_tenant.has_token_access


def test_a_member_is_added_to_a_group_with_the_keyboard(live_server, keyboard_page, live_tenant):
    from apps.groups.services import create_group

    AgentFactory(tenant=live_tenant, user_name="grace@contoso.com")
    group = create_group(tenant=live_tenant, actor=None, display_name="Tier 2")
    page = keyboard_page
    page.goto(f"{live_server.url}/settings/groups/{group.public_id}/")

    tab_to(page, page.get_by_label("Find agents"))
    page.keyboard.type("grace")
    page.keyboard.press("Enter")
    pick = page.get_by_label("grace@contoso.com")
    expect(pick).to_be_visible()
    tab_to(page, pick)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Add ticked agents"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Added 1 member to Tier 2: grace@contoso.com.")).to_be_visible()
    assert [m.user.user_name for m in group.memberships.all()] == ["grace@contoso.com"]


def test_single_sign_on_is_set_up_with_the_keyboard(live_server, keyboard_page, live_tenant):
    idp = TestIdp()
    page = keyboard_page
    page.goto(f"{live_server.url}/settings/sso/")

    tab_to(page, page.get_by_text("Or enter the certificate, Login URL and Identifier by hand"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Microsoft Entra Identifier"))
    page.keyboard.type(idp.entity_id)
    tab_to(page, page.get_by_label("Login URL"))
    page.keyboard.type(idp.sso_url)
    tab_to(page, page.get_by_label("Signing certificate(s)"))
    page.keyboard.insert_text(idp.keys[0].certificate_pem)
    tab_to(page, page.get_by_role("button", name="Save identity provider"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("The identity provider was saved.")).to_be_visible()

    switch = page.get_by_role("switch", name="Single sign-on")
    tab_to(page, switch)
    page.keyboard.press("Space")
    options = page.locator("form", has=switch)
    tab_to(page, options.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")

    expect(page.get_by_text("The single sign-on settings were saved.")).to_be_visible()
    settings = SsoSettings.objects.get(tenant=live_tenant)
    assert settings.idp_entity_id == idp.entity_id
    assert settings.enabled_at is not None
