"""The Provisioning tab in a real browser: a refused request explained, a sync cycle summed up."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from apps.tokens.services import create_token, revoke_token

pytestmark = pytest.mark.browser
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def scim(base_url: str, secret: str, method: str, path: str, body=None) -> int:
    request = urllib.request.Request(
        f"{base_url}/scim/v2{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def entra_cycle(live_server, live_tenant):
    """An Entra-like cycle: Test Connection, a user and a group created, one bad request."""
    _token, secret = create_token(tenant=live_tenant, actor=None, description="Entra ID")
    base = live_server.url
    statuses = [
        scim(base, secret, "GET", "/Users?filter=userName%20eq%20%22b0c2d3e4%22"),
        scim(
            base,
            secret,
            "POST",
            "/Users",
            {"schemas": [CORE_USER], "userName": "grace@contoso.com", "displayName": "Grace"},
        ),
        scim(base, secret, "POST", "/Groups", {"schemas": [CORE_GROUP], "displayName": "Tier 2"}),
        scim(base, secret, "POST", "/Users", {"schemas": [CORE_USER]}),
    ]
    assert statuses == [200, 201, 201, 400]
    return secret


@pytest.fixture
def refused_request(live_server, live_tenant):
    """A request with a revoked token, as after someone revoked Entra's token by mistake."""
    token, secret = create_token(tenant=live_tenant, actor=None, description="Old Entra token")
    revoke_token(tenant=live_tenant, actor=None, token=token)
    assert scim(live_server.url, secret, "GET", "/ServiceProviderConfig") == 401
    return token


def open_provisioning(page, sign_in, live_server):
    sign_in(page)
    page.goto(f"{live_server.url}/settings/api/provisioning/")


def open_request_log(page):
    page.get_by_text("SCIM request log", exact=True).click()


def test_a_refused_request_shows_why_and_which_token(
    live_server, sign_in, browser_page, refused_request
):
    page = browser_page
    open_provisioning(page, sign_in, live_server)
    open_request_log(page)

    row = page.get_by_role("row").filter(has_text="/scim/v2/ServiceProviderConfig")
    expect(row).to_contain_text("401")
    expect(row).to_contain_text("Refused: Revoked API token")
    expect(row).to_contain_text("The API token has been revoked.")
    expect(row).to_contain_text(refused_request.truncated)


def test_a_sync_cycle_is_summed_up_with_its_changes_and_errors(
    live_server, sign_in, browser_page, entra_cycle
):
    page = browser_page
    open_provisioning(page, sign_in, live_server)

    cycles = page.get_by_role("table", name="Recent sync cycles")
    cycle = cycles.get_by_role("row").nth(1)
    expect(cycle.get_by_role("cell").nth(2)).to_have_text("4")
    expect(cycle.get_by_role("cell").nth(3)).to_have_text("1 created")
    expect(cycle.get_by_role("cell").nth(4)).to_have_text("1 created")
    expect(cycle).to_contain_text("1 error")
    open_request_log(page)
    failed = page.get_by_role("row").filter(has_text="userName is required.")
    expect(failed).to_contain_text("400")
    expect(page.get_by_role("img", name="SCIM requests per 30 minutes")).to_be_visible()
    assert page.locator("svg rect.bar-ok").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_the_decoded_path_is_shown_and_the_raw_one_is_one_hover_away(
    live_server, sign_in, browser_page, entra_cycle
):
    page = browser_page
    open_provisioning(page, sign_in, live_server)
    open_request_log(page)

    path = page.get_by_text('/scim/v2/Users?filter=userName eq "b0c2d3e4"')

    expect(path).to_be_visible()
    expect(path).to_have_attribute(
        "title", "As sent: /scim/v2/Users?filter=userName%20eq%20%22b0c2d3e4%22"
    )


def test_the_setup_checklist_comes_first_and_names_the_last_request(
    live_server, sign_in, browser_page, refused_request
):
    page = browser_page
    open_provisioning(page, sign_in, live_server)

    first_card = page.locator("main .card").first
    expect(first_card.get_by_role("heading")).to_have_text("Setup")
    expect(first_card).to_contain_text("Token Access is on.")
    expect(first_card).to_contain_text("answered 401, refused: Revoked API token.")
    expect(page.get_by_role("table", name="SCIM request log")).to_be_hidden()


def test_the_request_log_filters_to_errors_and_refusals(
    live_server, sign_in, browser_page, entra_cycle
):
    page = browser_page
    open_provisioning(page, sign_in, live_server)
    open_request_log(page)

    page.get_by_label("Show").select_option("problems")
    page.get_by_role("button", name="Show").click()

    log = page.get_by_role("table", name="SCIM request log")
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log).to_contain_text("userName is required.")
