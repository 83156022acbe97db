"""The user list's filters fold away on a phone and stay open on a wide screen."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "folded"), [(390, True), (1280, False)])
def test_filters_fold_on_a_phone_only(live_server, sign_in, chromium, live_tenant, width, folded):
    page = chromium.new_context(viewport={"width": width, "height": 844}).new_page()
    sign_in(page)

    page.goto(f"{live_server.url}/settings/users/")

    search = page.get_by_label("Search")
    if folded:
        expect(search).to_be_hidden()
        page.get_by_text("Filters and sort").click()
    expect(search).to_be_visible()
    expect(page.get_by_label("Sort by")).to_be_visible()
    page.context.close()
