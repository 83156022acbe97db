"""Query counts stay flat as the directory grows: no per-row queries in lists, filters or PATCH."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.scim import views
from tests.factories import (
    AgentFactory,
    GroupFactory,
    MembershipFactory,
    UserEmailFactory,
)
from tests.scim.conftest import patch_body, send


@pytest.fixture(autouse=True)
def no_request_log_trimming(monkeypatch):
    # Trimming runs on every 100th row id; keep it out of the counts.
    monkeypatch.setattr(views, "REQUEST_LOG_TRIM_EVERY", 10**12)


@pytest.fixture
def warm(scim_client):
    # The first request writes the token's last use; later ones within a minute do not.
    scim_client.get("/scim/v2/ServiceProviderConfig")
    return scim_client


def queries(action) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = action()
    assert response.status_code < 300, response.content
    return [q["sql"] for q in context.captured_queries]


def add_users(tenant, count, custom_role=None):
    boss = AgentFactory(tenant=tenant)
    for _ in range(count):
        user = AgentFactory(tenant=tenant, manager=boss, custom_role=custom_role)
        UserEmailFactory(user=user)


def test_user_list_page_queries_do_not_grow_with_users(warm, tenant, custom_role):
    add_users(tenant, 3, custom_role)
    small = queries(lambda: warm.get("/scim/v2/Users?count=100"))
    add_users(tenant, 27, custom_role)

    large = queries(lambda: warm.get("/scim/v2/Users?count=100"))

    assert len(large) == len(small)
    assert len(small) <= 8


def test_get_by_filter_queries_do_not_grow_with_users(warm, tenant):
    add_users(tenant, 3)
    target = AgentFactory(tenant=tenant, user_name="ann@contoso.com")
    url = '/scim/v2/Users?filter=userName eq "ann@contoso.com"'
    small = queries(lambda: warm.get(url))
    add_users(tenant, 30)

    large = queries(lambda: warm.get(url))

    assert len(large) == len(small)
    assert warm.get(url).json()["Resources"][0]["id"] == str(target.public_id)


def test_email_filter_queries_do_not_grow_with_users(warm, tenant):
    add_users(tenant, 3)
    url = '/scim/v2/Users?filter=emails[type eq "work"].value eq "nobody@contoso.com"'
    small = queries(lambda: warm.get(url))
    add_users(tenant, 30)

    assert len(queries(lambda: warm.get(url))) == len(small)


def test_group_list_queries_do_not_grow_with_members(warm, tenant):
    groups = GroupFactory.create_batch(2, tenant=tenant)
    for group in groups:
        MembershipFactory.create_batch(3, group=group)
    small = queries(lambda: warm.get("/scim/v2/Groups"))
    for group in groups:
        MembershipFactory.create_batch(27, group=group)

    assert len(queries(lambda: warm.get("/scim/v2/Groups"))) == len(small)


def test_excluded_members_never_touch_the_membership_table(warm, tenant):
    group = GroupFactory(tenant=tenant, display_name="Sales")
    MembershipFactory.create_batch(5, group=group)

    listed = queries(
        lambda: warm.get('/scim/v2/Groups?excludedAttributes=members&filter=displayName eq "Sales"')
    )
    single = queries(
        lambda: warm.get(f"/scim/v2/Groups/{group.public_id}?excludedAttributes=members")
    )
    chosen = queries(lambda: warm.get("/scim/v2/Groups?attributes=displayName"))

    for sql in listed + single + chosen:
        assert "groups_groupmembership" not in sql


def test_excluded_members_query_count_is_fixed(warm, tenant, django_assert_max_num_queries):
    group = GroupFactory(tenant=tenant, display_name="Sales")
    MembershipFactory.create_batch(30, group=group)

    with django_assert_max_num_queries(4):
        warm.get('/scim/v2/Groups?excludedAttributes=members&filter=displayName eq "Sales"')


def test_adding_members_does_not_grow_with_the_group_or_the_batch(warm, tenant):
    group = GroupFactory(tenant=tenant)
    MembershipFactory.create_batch(3, group=group)
    few = AgentFactory.create_batch(2, tenant=tenant)
    small = queries(
        lambda: send(
            warm,
            "patch",
            f"/scim/v2/Groups/{group.public_id}",
            patch_body(
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"value": str(u.public_id)} for u in few],
                }
            ),
        )
    )
    MembershipFactory.create_batch(30, group=group)
    many = AgentFactory.create_batch(20, tenant=tenant)

    large = queries(
        lambda: send(
            warm,
            "patch",
            f"/scim/v2/Groups/{group.public_id}",
            patch_body(
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"value": str(u.public_id)} for u in many],
                }
            ),
        )
    )

    assert len(large) == len(small)


def test_removing_members_does_not_grow_with_the_group_or_the_batch(warm, tenant):
    group = GroupFactory(tenant=tenant)
    memberships = MembershipFactory.create_batch(40, group=group)
    few, many = memberships[:2], memberships[2:22]

    def remove(batch):
        return send(
            warm,
            "patch",
            f"/scim/v2/Groups/{group.public_id}",
            patch_body(
                {
                    "op": "Remove",
                    "path": "members",
                    "value": [{"value": str(m.user.public_id)} for m in batch],
                }
            ),
        )

    small = queries(lambda: remove(few))
    large = queries(lambda: remove(many))

    assert len(large) == len(small)


def test_member_remove_by_filter_does_not_grow_with_the_group(warm, tenant):
    group = GroupFactory(tenant=tenant)
    memberships = MembershipFactory.create_batch(3, group=group)

    def remove(membership):
        return send(
            warm,
            "patch",
            f"/scim/v2/Groups/{group.public_id}",
            patch_body(
                {"op": "remove", "path": f'members[value eq "{membership.user.public_id}"]'}
            ),
        )

    small = queries(lambda: remove(memberships[0]))
    more = MembershipFactory.create_batch(30, group=group)

    assert len(queries(lambda: remove(more[0]))) == len(small)


def test_user_patch_does_not_grow_with_the_directory(warm, tenant):
    user = AgentFactory(tenant=tenant)
    UserEmailFactory(user=user)
    body = patch_body(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a@b.c"},
        {"op": "Replace", "path": "title", "value": "Boss"},
    )
    small = queries(lambda: send(warm, "patch", f"/scim/v2/Users/{user.public_id}", body))
    add_users(tenant, 30)
    body = patch_body(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "x@b.c"},
        {"op": "Replace", "path": "title", "value": "Chief"},
    )

    assert len(
        queries(lambda: send(warm, "patch", f"/scim/v2/Users/{user.public_id}", body))
    ) == len(small)
