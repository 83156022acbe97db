"""Single logout in a real headless Chromium, with the test IdP on another site
(idp.localhost, as in test_sso_flow.py): signing out of the portal signs out of the IdP,
and the IdP's logout ends the portal session."""

import pytest
from playwright.sync_api import expect

from apps.portal.services import create_tenant
from apps.sso import services
from apps.sso.models import MatchBy
from tests.factories import AgentFactory
from tests.sso.idp import IdpServer, TestIdp

PERSON = "agent@contoso.com"


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def idp_server():
    """The test IdP on loopback, reached as idp.localhost: another site than 127.0.0.1."""
    server = IdpServer(TestIdp(), user_name=PERSON)
    server.idp.sso_url = f"http://idp.localhost:{server.port}/saml2"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def product(live_server, transactional_db, idp_server):
    """The portal with an account whose SSO is the test IdP (with its logout service)."""
    tenant = create_tenant(
        actor=None, subdomain="my-tenant", admin_user_name="admin", admin_password="x" * 20
    )
    AgentFactory(tenant=tenant, user_name=PERSON)
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
    return live_server.url.replace("localhost", "127.0.0.1")


def sign_in_with_entra(page, product):
    page.goto(f"{product}/login/?account=my-tenant")
    page.get_by_role("link", name="Sign in with Microsoft Entra ID").click()
    page.get_by_role("button", name=f"Sign in as {PERSON}").click()
    expect(page.get_by_role("heading", level=1, name="Workspace")).to_be_visible()


@pytest.mark.browser
def test_signing_out_signs_out_of_the_idp_and_lands_signed_out(product, browser_page, idp_server):
    page = browser_page
    sign_in_with_entra(page, product)

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert page.url == f"{product}/login/"
    [request] = idp_server.logout_requests
    assert (request["kind"], request["name_id"], request["signed"]) == (
        "LogoutRequest",
        PERSON,
        True,
    )
    assert request["issuer"] == f"{product}/sso/my-tenant/saml/metadata/"
    assert request["session_index"] == idp_server.session_index
    page.goto(f"{product}/workspace/")
    assert page.url.startswith(f"{product}/login/")


@pytest.mark.browser
def test_idp_initiated_logout_ends_the_portal_session(product, browser_page, idp_server):
    page = browser_page
    sign_in_with_entra(page, product)

    page.goto(f"http://idp.localhost:{idp_server.port}/logout")

    expect(
        page.get_by_role("heading", name="Signed out of the test identity provider")
    ).to_be_visible()
    [answer] = idp_server.logout_responses
    assert (answer["kind"], answer["status"], answer["signed"]) == (
        "LogoutResponse",
        "urn:oasis:names:tc:SAML:2.0:status:Success",
        True,
    )
    page.goto(f"{product}/workspace/")
    assert page.url.startswith(f"{product}/login/")
