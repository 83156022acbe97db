"""The README's pictures, taken from the product as it is: the token dialog, the Provisioning
tab and the single sign-on page. Each run takes them (so the flows they show still work);
scripts/screenshots runs this with UPDATE_SCREENSHOTS=1 to write them to docs/screenshots/."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.sso import services as sso_services
from apps.tokens.services import create_token
from tests.sso.idp import TestIdp

pytestmark = pytest.mark.browser
README_PICTURES = Path(settings.BASE_DIR) / "docs" / "screenshots"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def picture_dir(tmp_path) -> Path:
    return README_PICTURES if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path


@pytest.fixture
def provisioned(live_server, live_tenant):
    """A few of Entra's requests, so the Provisioning tab has a chart and rows to show."""
    _token, secret = create_token(tenant=live_tenant, actor=None, description="Microsoft Entra ID")
    bodies = [
        {"schemas": [CORE_USER], "userName": "grace@contoso.com", "displayName": "Grace Hopper"},
        {"schemas": [CORE_USER], "userName": "ada@contoso.com", "displayName": "Ada Lovelace"},
        {"schemas": [CORE_USER]},
    ]
    for body in bodies:
        request = urllib.request.Request(
            f"{live_server.url}/scim/v2/Users",
            method="POST",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"},
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
        except urllib.error.HTTPError as error:
            assert error.code == 400
    return live_tenant


def test_readme_pictures_of_the_token_dialog_provisioning_and_sso(
    live_server, provisioned, sign_in, browser_page, picture_dir
):
    sso_services.configure_from_metadata(
        tenant=provisioned, actor=None, metadata=TestIdp().metadata_xml()
    )
    page = browser_page
    page.set_viewport_size({"width": 1100, "height": 760})
    sign_in(page)

    page.goto(f"{live_server.url}/settings/api/")
    page.get_by_role("button", name="Add API token").click()
    dialog = page.get_by_role("dialog", name="Add API token")
    dialog.get_by_label("API token description").fill("Microsoft Entra ID")
    # The token shown is a real one, discarded below: the picture never shows a working secret.
    dialog.screenshot(path=picture_dir / "token-dialog.png", scale="css")
    page.keyboard.press("Escape")
    expect(page.get_by_text("was discarded; it was never usable")).to_be_visible()

    page.goto(f"{live_server.url}/settings/api/provisioning/")
    page.locator(".card").filter(has=page.locator("#what-entra-is-doing")).screenshot(
        path=picture_dir / "provisioning.png", scale="css"
    )

    page.goto(f"{live_server.url}/settings/sso/")
    page.screenshot(path=picture_dir / "sso.png", scale="css")

    for name in ("token-dialog.png", "provisioning.png", "sso.png"):
        assert (picture_dir / name).stat().st_size > 5_000
