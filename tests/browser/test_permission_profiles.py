"""Permission profiles from groups in a real headless Chromium: an admin links a group to a
custom role on the group's page, then sees a member's effective role and its source."""

import pytest
from playwright.sync_api import expect

from apps.groups.services import add_group_members, create_group
from apps.roles.services import create_role
from apps.users.models import User
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser


def test_linking_a_group_shows_a_members_role_and_its_source(
    live_server, live_tenant, sign_in, browser_page
):
    admin = User.objects.get(user_name="admin")
    create_role(tenant=live_tenant, actor=admin, name="Tier 2")
    group = create_group(tenant=live_tenant, actor=admin, display_name="Support EMEA")
    member = AgentFactory(tenant=live_tenant, user_name="ann@example.com")
    add_group_members(tenant=live_tenant, actor=admin, group=group, users=[member])
    page = browser_page
    sign_in(page)

    page.goto(f"{live_server.url}/settings/groups/{group.public_id}/")
    profile = page.get_by_role("region", name="Permission profile")
    profile.get_by_label("Custom role").select_option(label="Tier 2")
    profile.get_by_role("button", name="Link to role").click()
    expect(page.get_by_text("Members of Support EMEA now hold Tier 2")).to_be_visible()
    expect(profile.get_by_text("Members hold the custom role Tier 2")).to_be_visible()

    page.get_by_role("link", name="ann@example.com").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(member.display_name)
    expect(
        page.get_by_text("Effective custom role: Tier 2, from the group Support EMEA.")
    ).to_be_visible()
