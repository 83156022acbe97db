"""axe-core on every page a signed-out visitor, a tenant admin, support staff or a superuser
can reach, at 1280 and 390 px: no violation of WCAG 2.1 A or AA (STYLE.md §16).

The pages are data: add a page to VISITOR_PAGES, ADMIN_PAGES or STAFF_PAGES (a URL name,
its arguments from the cast, and an optional step such as opening a dialog). Django admin's
changelists are found from the admin index, and each one's first change page from its list,
so a model registered later is audited without an edit here. Three pages only a flow
reaches are audited by tests of their own, reached as a person reaches them: the ACS's 429
after unsigned responses, an SSO test's result after signing in at the test IdP, and
another account's address (FLOW_PAGES, NOT_PAGES). One browser, one signed-in context per
person and a session cookie instead of the sign-in form keep the run short (85 pages, 170
audits: about two minutes on a busy two-core machine).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from playwright.sync_api import expect

from apps.groups.services import create_group
from apps.portal.services import create_tenant
from apps.roles.services import create_role
from apps.sso import services as sso_services
from apps.tokens.services import create_token
from commbox_site.errors import service_unavailable
from tests.factories import AgentFactory, StaffFactory, UserEmailFactory
from tests.sso.idp import IdpServer, TestIdp

pytestmark = pytest.mark.browser

AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = [{"width": 1280, "height": 900}, {"width": 390, "height": 844}]
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass(frozen=True)
class Cast:
    """What the pages show: an account with a user, a group, a custom role, a token, SSO."""

    tenant: Any
    agent: Any
    group: Any
    role: Any
    token: Any
    support: Any
    superuser: Any


@dataclass(frozen=True)
class Page:
    """A page by URL name (or a path that names no page), with what it needs."""

    name: str
    args: Callable[[Cast], list] = field(default=lambda cast: [])
    query: str = ""
    step: str = ""  # a key of STEPS: what to do on the page before auditing it

    def url(self, cast: Cast) -> str:
        path = self.name if self.name.startswith("/") else reverse(self.name, args=self.args(cast))
        return f"{path}?{self.query}" if self.query else path

    def label(self) -> str:
        return " ".join(filter(None, [self.name, self.query, self.step]))


VISITOR_PAGES = [
    Page("portal:login"),
    Page("portal:login", query="account=my-tenant"),
    Page("sso:start"),
    Page("sso:start", query="account=no-such-account"),  # 404: no such account
    Page("sso:account_login", args=lambda cast: [cast.tenant.subdomain]),  # refused: SSO off
    # The logout service without a message: the sign-out refused page.
    Page("sso:account_slo", args=lambda cast: [cast.tenant.subdomain]),
    Page("/settings/no-such-page/"),  # 404
    Page("scim_reference"),
    Page("portal:login", step="lock-out"),  # the page after too many failed sign-ins
]

ADMIN_PAGES = [
    Page("portal:settings"),
    Page("tokens:list"),
    Page("tokens:list", step="open-token-dialog"),
    Page("tokens:list", step="discard-token"),  # with the message the list then shows
    Page("tokens:detail", args=lambda cast: [cast.token.public_id]),
    Page("tokens:revoke", args=lambda cast: [cast.token.public_id]),
    Page("tokens:settings"),
    Page("tokens:provisioning"),
    Page("users:list"),
    Page("users:detail", args=lambda cast: [cast.agent.public_id]),
    Page("users:delete", args=lambda cast: [cast.agent.public_id]),
    Page("groups:list"),
    Page("groups:create"),
    Page("groups:detail", args=lambda cast: [cast.group.public_id]),
    Page("groups:delete", args=lambda cast: [cast.group.public_id]),
    Page("roles:list"),
    Page("roles:create"),
    Page("roles:edit", args=lambda cast: [cast.role.public_id]),
    Page("roles:delete", args=lambda cast: [cast.role.public_id]),
    Page("sso:settings"),
    Page("sso:me"),
    Page("sso:workspace"),
    Page("tokens:switch_off"),  # the confirmation before Token Access goes off
    Page("audit:list"),
    # An export of a date range that ends before it starts: the page again, with the error.
    Page("audit:export", query="date_from=2026-12-07&date_to=2026-12-01"),
    Page("/settings/users/00000000-0000-0000-0000-000000000000/"),  # 404 signed in
]

# The portal's URL names that are no page to audit, and why; every other name must be in a
# list above (test_every_page_of_the_portal_is_audited_or_named_here).
NOT_PAGES = {
    "portal:home": "redirects each person to their own page",
    "portal:logout": "POST only",
    "tokens:create": "POST only; its answer is the dialog, audited open",
    "tokens:save": "POST only",
    "tokens:discard": "POST only",
    "tokens:scim_admin_grants": "POST only",
    "users:update_role": "POST only",
    "users:activate": "POST only",
    "users:deactivate": "POST only",
    "users:unlock_sign_in": "POST only",
    "users:end_other_sessions": "POST only",
    "groups:rename": "POST only",
    "groups:add_members": "POST only",
    "groups:add_user_to_groups": "POST only",
    "tokens:replace": "POST only; its answer is the token dialog, audited open (tokens:create)",
    "tokens:describe": "POST only",
    "tokens:lifetime": "POST only",
    "roles:link_group": "POST only",
    "roles:unlink_group": "POST only",
    "roles:move_link_up": "POST only",
    "roles:move_link_down": "POST only",
    "sso:agent_creation": "POST only",
    "groups:remove_member": "POST only",
    "sso:login": "sso:account_login's view, on the account's own host",
    "sso:acs": (
        "POST from the IdP; a refusal is sso/refused.html, audited as sso:account_login; "
        "its 429 is audited in test_the_sso_throttle_page_passes_axe"
    ),
    "sso:account_acs": "as sso:acs",
    "sso:metadata": "XML for Entra, not a page",
    "sso:account_metadata": "XML for Entra, not a page",
    "sso:sp_certificate": "a certificate download, not a page",
    "sso:upload_metadata": "POST only",
    "sso:set_metadata_url": "POST only",
    "sso:refresh_metadata": "POST only",
    "sso:configure_manually": "POST only",
    "sso:options": "POST only",
    "sso:test": "POST only; redirects to the IdP",
    "sso:logout": "POST only; redirects to the IdP or the sign-in page",
    "sso:slo": "sso:account_slo's view, on the account's own host",
}

# Pages reached only through a flow of their own, each audited by the test named here.
FLOW_PAGES = {
    "sso:test_result": "test_the_sso_test_result_page_passes_axe",
}

STAFF_PAGES = [
    Page("admin:index"),
    Page("portal:settings"),  # 403: support staff are not the account's admins
    Page("admin:audit_auditevent_add"),  # 403 in the admin's look: the audit log is read-only
]


def scim_post(base_url: str, secret: str, body: dict) -> int:
    request = urllib.request.Request(
        f"{base_url}/scim/v2/Users",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def cast(live_server, live_tenant) -> Cast:
    tenant = live_tenant
    admin = tenant.users.get(user_name="admin")
    agent = AgentFactory(tenant=tenant, user_name="grace@contoso.com", display_name="Grace Hopper")
    UserEmailFactory(user=agent, value="grace@contoso.com")
    group = create_group(tenant=tenant, actor=admin, display_name="Tier 2", members=[agent])
    role = create_role(tenant=tenant, actor=admin, name="Supervisor", description="Team leads")
    token, secret = create_token(tenant=tenant, actor=admin, description="Microsoft Entra ID")
    sso_services.configure_from_metadata(
        tenant=tenant, actor=admin, metadata=TestIdp().metadata_xml()
    )
    # The Provisioning tab's chart and tables with a created user and a refused request.
    created = {"schemas": [CORE_USER], "userName": "ada@contoso.com", "displayName": "Ada"}
    assert scim_post(live_server.url, secret, created) == 201
    assert scim_post(live_server.url, secret, {"schemas": [CORE_USER]}) == 400
    # Support staff read everything in the admin (as the "Support" group lets them); a
    # superuser also sees the forms that change things.
    support = StaffFactory(user_name="support")
    support.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    superuser = StaffFactory(user_name="root", is_superuser=True)
    return Cast(
        tenant=tenant,
        agent=agent,
        group=group,
        role=role,
        token=token,
        support=support,
        superuser=superuser,
    )


def audit(page, label: str, report: dict) -> list[str]:
    """axe-core on the page as it is now, at each viewport: one line per violating element."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    found = []
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        report["audits"] += 1
        report["viewports"].add(viewport["width"])
        for violation in result["violations"]:
            for node in violation["nodes"]:
                found.append(
                    f"{label} at {viewport['width']} px: {violation['id']} "
                    f"({violation['help']}) on {' '.join(node['target'])}: "
                    f"{node['failureSummary'].splitlines()[-1].strip()}"
                )
    report["pages"].add(label)
    report["violations"] += len(found)
    return found


def open_token_dialog(page):
    page.get_by_role("button", name="Add API token").click()
    expect(page.get_by_role("dialog", name="Add API token")).to_be_visible()


def discard_token(page):
    open_token_dialog(page)
    page.keyboard.press("Escape")
    expect(page.get_by_text("was discarded; it was never usable")).to_be_visible()


def lock_out(page):
    paused = page.get_by_role("heading", name="Too many sign-in attempts")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        if paused.count():
            break
        page.get_by_label("Account").fill("my-tenant")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
    expect(paused).to_be_visible()


STEPS = {
    "open-token-dialog": open_token_dialog,
    "discard-token": discard_token,
    "lock-out": lock_out,
}


def audit_pages(
    page, base_url: str, who: str, pages: list[Page], cast: Cast, report: dict
) -> list[str]:
    found = []
    for entry in pages:
        page.set_viewport_size(VIEWPORTS[0])
        page.goto(base_url + entry.url(cast))
        if entry.step:
            STEPS[entry.step](page)
        found += audit(page, f"{entry.label()} ({who})", report)
    return found


def admin_pages(page, base_url: str) -> list[str]:
    """Every changelist linked from the admin index, and the first change page of each."""
    page.goto(base_url + reverse("admin:index"))
    changelists = page.locator("#content-main th[scope=row] a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    assert changelists, "the admin index lists no models"
    paths = []
    for changelist in changelists:
        paths.append(changelist)
        page.goto(base_url + changelist)
        first = page.locator("#result_list tbody tr").first.locator("th a, td a").first
        if first.count():
            paths.append(first.get_attribute("href"))
    return paths


@pytest.fixture
def new_context(chromium, live_server, sign_in_context):
    """new_context(user): a browser context signed in as user (None: signed out)."""
    contexts = []

    def open_context(user=None):
        context = chromium.new_context(viewport=VIEWPORTS[0], bypass_csp=True)
        contexts.append(context)
        if user is not None:
            sign_in_context(context, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_context
    for context in contexts:
        context.close()


def test_every_page_passes_axe_for_a_visitor_an_admin_and_support_staff(
    live_server, cast, new_context, axe_report
):
    base = live_server.url
    admin = cast.tenant.users.get(user_name="admin")

    found = audit_pages(new_context(), base, "signed out", VISITOR_PAGES, cast, axe_report)
    found += audit_pages(new_context(admin), base, "admin", ADMIN_PAGES, cast, axe_report)
    found += audit_pages(new_context(cast.support), base, "support", STAFF_PAGES, cast, axe_report)
    for who, user in [("support", cast.support), ("superuser", cast.superuser)]:
        page = new_context(user)
        for path in admin_pages(page, base):
            page.goto(base + path)
            found += audit(page, f"{path} ({who})", axe_report)

    assert found == [], "\n".join(found)


def test_the_outage_page_passes_axe(live_server, new_context, axe_report):
    """The 503 a database outage gives, as service_unavailable renders it."""
    outage = service_unavailable(RequestFactory().get("/settings/"))
    page = new_context()
    page.route(
        f"{live_server.url}/settings/",
        lambda route: route.fulfill(
            status=outage.status_code, body=outage.content, content_type="text/html"
        ),
    )
    page.goto(f"{live_server.url}/settings/")

    assert audit(page, "503 (database outage)", axe_report) == []


def test_the_sso_throttle_page_passes_axe(
    live_server, live_tenant, new_context, axe_report, settings
):
    """sso/too_many.html: the 429 of the ACS once too many unverified responses came."""
    settings.SSO_RATE_LIMIT_UNVERIFIED_PER_ADDRESS = "2/10m"
    sso_services.configure_from_metadata(
        tenant=live_tenant, actor=None, metadata=TestIdp().metadata_xml()
    )
    acs = live_server.url + reverse("sso:account_acs", args=[live_tenant.subdomain])
    page = new_context()
    page.goto(live_server.url + reverse("portal:login"))
    statuses = []
    for _ in range(3):
        # A form POST of a response nobody signed, as anyone on the internet can send.
        with page.expect_navigation() as navigation:
            page.evaluate(POST_FORM, {"action": acs, "fields": {"SAMLResponse": "bm90IFNBTUw="}})
        statuses.append(navigation.value.status if navigation.value else 0)
    assert statuses == [403, 403, 429]
    expect(page.get_by_role("heading", name="Too many sign-in attempts")).to_be_visible()

    assert audit(page, "sso/too_many.html (429 of the ACS)", axe_report) == []


POST_FORM = """({action, fields}) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
    }
    document.body.append(form);
    form.submit();
}"""


@pytest.fixture
def idp_server():
    """The test IdP on loopback, reached as idp.localhost (as in test_sso_flow.py)."""
    server = IdpServer(TestIdp(), user_name="grace@contoso.com")
    server.idp.sso_url = f"http://idp.localhost:{server.port}/saml2"
    server.start()
    yield server
    server.stop()


def test_the_sso_test_result_page_passes_axe(
    live_server, live_tenant, new_context, axe_report, idp_server
):
    """sso/test_result.html: the admin presses Test sign-in and signs in at the IdP, once as
    an agent (the test passes) and once as the admin (refused: admins use their password)."""
    AgentFactory(tenant=live_tenant, user_name="grace@contoso.com")
    sso_services.configure_from_metadata(
        tenant=live_tenant, actor=None, metadata=idp_server.idp.metadata_xml()
    )
    page = new_context(live_tenant.users.get(user_name="admin"))
    found = []
    for user_name, result in [("grace@contoso.com", "passed"), ("admin", "failed")]:
        idp_server.user_name = user_name
        page.goto(live_server.url + reverse("sso:settings"))
        page.get_by_role("button", name="Test sign-in").click()
        page.get_by_role("button", name=f"Sign in as {user_name}").click()
        heading = page.get_by_role("heading", level=1, name=f"Test sign-in {result}")
        expect(heading).to_be_visible()
        found += audit(page, f"sso:test_result ({result})", axe_report)

    assert found == [], "\n".join(found)


def test_the_wrong_account_page_passes_axe(
    live_server, live_tenant, new_context, axe_report, settings, sign_in_context
):
    """portal/wrong_account.html: my-tenant's admin opens another account's host (a 403).

    Accounts live on <subdomain>.localhost here, which Chromium resolves to loopback; the
    browser carries the admin's session there, as a cookie of the parent domain would."""
    settings.BASE_DOMAIN = "localhost"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".localhost"]
    create_tenant(actor=None, subdomain="contoso", admin_user_name="admin", admin_password="x" * 20)
    other_host = live_server.url.replace("://localhost", "://contoso.localhost")
    page = new_context()
    sign_in_context(page.context, live_tenant.users.get(user_name="admin"), url=other_host)
    response = page.goto(other_host + reverse("portal:settings"))
    assert response is not None and response.status == 403
    expect(
        page.get_by_role("heading", name="This address belongs to another account")
    ).to_be_visible()

    assert audit(page, "portal/wrong_account.html (403)", axe_report) == []


def url_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


def test_every_page_of_the_portal_is_audited_or_named_here():
    """A new page fails this until it is added to a page list (or to NOT_PAGES, with why);
    Django admin's pages are found from its index, SCIM's are JSON."""
    audited = {page.name for page in VISITOR_PAGES + ADMIN_PAGES + STAFF_PAGES} | set(FLOW_PAGES)
    names = {
        name
        for name in url_names(get_resolver().url_patterns)
        if not name.startswith(("admin:", "scim:"))
    }

    assert names - audited - set(NOT_PAGES) == set()
    assert audited & set(NOT_PAGES) == set()
    assert [test for test in FLOW_PAGES.values() if not callable(globals().get(test))] == []
