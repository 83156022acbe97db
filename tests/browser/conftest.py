import os
import shutil

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from apps.portal.services import create_tenant
from apps.tokens.services import set_token_access

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
def chromium():
    executable = shutil.which("chromium")
    assert executable, "Chromium is not installed: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A 1280 px wide page that may read and write the clipboard."""
    context = chromium.new_context(
        permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page_without_javascript(chromium):
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def live_tenant(transactional_db):
    """The tutorial's account, my-tenant, with its admin "admin" and Token Access on."""
    tenant = create_tenant(
        actor=None, subdomain="my-tenant", admin_user_name="admin", admin_password=PASSWORD
    )
    set_token_access(tenant=tenant, actor=None, enabled=True)
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def sign_in(live_server):
    """sign_in(page): signs the tutorial's admin in through the sign-in page."""

    def sign_in_page(page):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Account").fill("my-tenant")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()

    return sign_in_page


@pytest.fixture
def sign_in_context(live_server):
    """sign_in_context(context, user, url=None): the context carries a session of user's on
    url's host (the live server's by default), as after signing in (Django's test client
    makes it), so a test of many pages signs in once."""

    def add_session(context, user, url=None):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": url or live_server.url}]
        )

    return add_session


AXE_REPORT = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def axe_report(request):
    """Pages and viewports audited by axe-core in this run, for the terminal summary."""
    report = {"pages": set(), "viewports": set(), "audits": 0, "violations": 0}
    request.config.stash[AXE_REPORT] = report
    return report


def pytest_terminal_summary(terminalreporter, config):
    report = config.stash.get(AXE_REPORT, None)
    if report is None:
        return
    terminalreporter.write_line(
        f"axe-core (WCAG 2.1 A and AA): {len(report['pages'])} pages at "
        f"{len(report['viewports'])} viewports ({report['audits']} audits), "
        f"{report['violations']} violations"
    )
