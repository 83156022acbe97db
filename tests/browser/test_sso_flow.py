"""Single sign-on in a real headless Chromium, with the IdP on another site.

The product is on 127.0.0.1 and the test IdP on idp.localhost (Chromium resolves every
*.localhost to loopback), so the IdP's POST to the ACS is cross-site, as it is from Entra's
sign-in page: the browser does not send the SameSite=Lax session cookie with it.
"""

import pytest
from playwright.sync_api import expect

from apps.portal.services import create_tenant
from apps.sso import services
from apps.sso.models import MatchBy
from tests.factories import AgentFactory
from tests.sso.idp import IdpServer, TestIdp


@pytest.fixture
def browser_page(chromium):
    """A plain page (the sign-in flow needs no clipboard), on conftest's Chromium."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def idp_server():
    """The test IdP on loopback, reached as idp.localhost: another site than 127.0.0.1."""
    server = IdpServer(TestIdp(), user_name="agent@contoso.com")
    server.idp.sso_url = f"http://idp.localhost:{server.port}/saml2"
    server.start()
    yield server
    server.stop()


@pytest.mark.browser
def test_agent_clicks_sign_in_with_entra_and_lands_on_the_workspace(
    live_server, transactional_db, browser_page, idp_server
):
    tenant = create_tenant(
        actor=None, subdomain="my-tenant", admin_user_name="admin", admin_password="x" * 20
    )
    AgentFactory(tenant=tenant, user_name="agent@contoso.com")
    services.configure_from_metadata(
        tenant=tenant, actor=None, metadata=idp_server.idp.metadata_xml()
    )
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )
    product = live_server.url.replace("localhost", "127.0.0.1")
    page = browser_page
    acs_posts = []
    page.on(
        "request",
        lambda request: (
            acs_posts.append(request)
            if request.method == "POST" and "/saml/acs/" in request.url
            else None
        ),
    )

    page.goto(f"{product}/login/?account=my-tenant")
    lax_cookies = {c["name"]: c["sameSite"] for c in page.context.cookies(product)}
    assert lax_cookies == {"csrftoken": "Lax"}
    page.get_by_role("link", name="Sign in with Microsoft Entra ID").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    sso_cookies = [c for c in page.context.cookies(f"{product}/sso/") if c["name"] == "sso_browser"]
    assert [(c["sameSite"], c["secure"], c["httpOnly"], c["path"]) for c in sso_cookies] == [
        ("None", True, True, "/sso/")
    ]
    assert page.url.startswith(f"http://idp.localhost:{idp_server.port}/saml2?SAMLRequest=")
    page.get_by_role("button", name="Sign in as agent@contoso.com").click()

    expect(page.get_by_role("heading", level=1, name="Workspace")).to_be_visible()
    assert page.url == f"{product}/workspace/"
    expect(page.get_by_text("agent@contoso.com").first).to_be_visible()
    # The POST came cross-site: 127.0.0.1's SameSite=Lax cookies were not sent with it; only
    # the sign-in's own SameSite=None cookie was (Chromium keeps a Secure cookie on plain
    # http://127.0.0.1), binding the answer to this browser. The ACS deleted it again.
    sent = [post.all_headers().get("cookie", "") for post in acs_posts]
    assert [{part.split("=")[0] for part in cookies.split("; ")} for cookies in sent] == [
        {"sso_browser"}
    ]
    assert "sessionid" in {c["name"] for c in page.context.cookies(product)}
    assert "sso_browser" not in {c["name"] for c in page.context.cookies(f"{product}/sso/")}
