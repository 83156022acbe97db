"""A group's page adds several agents at once: search, tick, add; a refusal adds no one and
names the end-users it refused. With JavaScript and without."""

import pytest
from playwright.sync_api import expect

from apps.groups.models import GroupMembership
from apps.users.models import User
from tests.factories import AgentFactory, GroupFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def support(live_tenant):
    return GroupFactory(tenant=live_tenant, display_name="Support")


@pytest.fixture
def agents(live_tenant):
    return [
        AgentFactory(tenant=live_tenant, user_name=name)
        for name in ("sam.one@contoso.com", "sam.two@contoso.com", "kim@contoso.com")
    ]


def member_names(group):
    return set(
        GroupMembership.objects.filter(group=group).values_list("user__user_name", flat=True)
    )


def search_and_tick(page, group_url, query, names):
    page.goto(group_url)
    page.get_by_label("Find agents").fill(query)
    page.get_by_role("button", name="Search").click()
    for name in names:
        page.get_by_label(name).check()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_several_agents_are_searched_ticked_and_added_together(
    live_server, sign_in, chromium, support, agents, javascript
):
    context = chromium.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    sign_in(page)
    group_url = f"{live_server.url}/settings/groups/{support.public_id}/"

    search_and_tick(page, group_url, "sam", ["sam.one@contoso.com", "sam.two@contoso.com"])
    expect(page.get_by_label("kim@contoso.com")).to_have_count(0)
    page.get_by_role("button", name="Add ticked agents").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Added 2 members to Support: sam.one@contoso.com and sam.two@contoso.com."
    )
    members = page.locator("#members table")
    expect(members.get_by_role("link", name="sam.one@contoso.com")).to_be_visible()
    expect(members.get_by_role("link", name="sam.two@contoso.com")).to_be_visible()
    assert member_names(support) == {"sam.one@contoso.com", "sam.two@contoso.com"}
    context.close()


def test_a_refused_add_names_the_end_user_adds_no_one_and_keeps_the_ticks(
    live_server, sign_in, browser_page, support, agents
):
    page = browser_page
    sign_in(page)
    group_url = f"{live_server.url}/settings/groups/{support.public_id}/"
    search_and_tick(page, group_url, "sam", ["sam.one@contoso.com", "sam.two@contoso.com"])
    # Meanwhile (Entra, another admin) sam.two becomes an end-user.
    User.objects.filter(user_name="sam.two@contoso.com").update(role="end-user")

    page.get_by_role("button", name="Add ticked agents").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "sam.two@contoso.com is an end-user: only agents"
    )
    expect(page.get_by_label("sam.one@contoso.com")).to_be_checked()
    expect(page.get_by_label("Find agents")).to_have_value("sam")
    expect(page.get_by_role("heading", name="Members (0)")).to_be_visible()
    assert member_names(support) == set()
