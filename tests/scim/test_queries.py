"""Query counts stay flat as the directory grows: no per-row queries in lists, filters or PATCH."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit import request_log
from tests.factories import (
    AgentFactory,
    GroupFactory,
    MembershipFactory,
    UserEmailFactory,
    UserPhoneNumberFactory,
)
from tests.scim.entra import ENTERPRISE, entra_user, patch_body


@pytest.fixture(autouse=True)
def no_request_log_trimming(monkeypatch):
    # Trimming runs on every 100th row id; keep it out of the counts.
    monkeypatch.setattr(request_log, "TRIM_EVERY", 10**12)


@pytest.fixture
def warm(scim_client, prepared_lookups):
    # The first request writes the token's last use; later ones within a minute do not. The
    # first two load the token; later ones find it in the process's token cache.
    scim_client.get("/scim/v2/ServiceProviderConfig")
    scim_client.get("/scim/v2/ServiceProviderConfig")
    return scim_client


def queries_and_response(action):
    with CaptureQueriesContext(connection) as context:
        response = action()
    assert response.status_code < 300, response.content
    return [q["sql"] for q in context.captured_queries], response


def queries(action) -> list[str]:
    return queries_and_response(action)[0]


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
    assert len(small) <= 6


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
        lambda: warm.send(
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
        lambda: warm.send(
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
        return warm.send(
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
        return warm.send(
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
    small = queries(lambda: warm.send("patch", f"/scim/v2/Users/{user.public_id}", body))
    add_users(tenant, 30)
    body = patch_body(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "x@b.c"},
        {"op": "Replace", "path": "title", "value": "Chief"},
    )

    assert len(
        queries(lambda: warm.send("patch", f"/scim/v2/Users/{user.public_id}", body))
    ) == len(small)


def selects_from(sql: list[str], table: str) -> list[str]:
    return [q for q in sql if q.startswith("SELECT") and f'FROM "{table}"' in q]


def test_short_first_page_is_counted_without_a_count_query(warm, tenant):
    add_users(tenant, 3)

    sql, response = queries_and_response(lambda: warm.get("/scim/v2/Users?count=100"))

    assert not [q for q in sql if "COUNT(" in q]
    assert response.json()["totalResults"] == 5  # the admin, the boss and 3 users


def test_full_page_still_counts_every_match(warm, tenant):
    add_users(tenant, 3)

    # Filtered: an unfiltered page takes its total from the counters (test below).
    sql, response = queries_and_response(
        lambda: warm.get("/scim/v2/Users?count=2&filter=active eq true")
    )

    assert [q for q in sql if "COUNT(" in q]
    assert response.json()["totalResults"] == 5
    assert response.json()["itemsPerPage"] == 2


def test_last_page_is_counted_without_a_count_query(warm, tenant):
    add_users(tenant, 3)

    sql, response = queries_and_response(lambda: warm.get("/scim/v2/Users?startIndex=4&count=3"))

    assert not [q for q in sql if "COUNT(" in q]
    assert response.json()["totalResults"] == 5
    assert response.json()["itemsPerPage"] == 2


def test_page_past_the_end_still_counts_every_match(warm, tenant):
    add_users(tenant, 3)

    body = warm.get("/scim/v2/Users?startIndex=9&count=3").json()

    assert body["totalResults"] == 5
    assert body["Resources"] == []


def test_user_lists_never_read_passwords(warm, tenant):
    add_users(tenant, 3)

    sql = queries(lambda: warm.get("/scim/v2/Users?count=100"))

    assert not [q for q in sql if '"password"' in q]


def test_user_patch_does_not_read_the_user_back(warm, tenant):
    user = AgentFactory(tenant=tenant)
    UserEmailFactory(user=user)
    body = patch_body(
        {"op": "Replace", "path": "emails", "value": [{"type": "work", "value": "n@b.c"}]},
        {"op": "Replace", "path": "name.givenName", "value": "Ann"},
    )

    sql = queries(lambda: warm.send("patch", f"/scim/v2/Users/{user.public_id}", body))

    assert len(selects_from(sql, "users_user")) == 1  # the locked read
    assert len(selects_from(sql, "users_useremail")) == 1


def test_user_patch_answers_what_a_fresh_read_shows(warm, tenant):
    boss = AgentFactory(tenant=tenant, display_name="The Boss")
    user = AgentFactory(tenant=tenant)
    UserEmailFactory(user=user)
    UserPhoneNumberFactory(user=user)
    body = patch_body(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "n@b.c"},
        {"op": "Add", "path": "emails", "value": [{"type": "home", "value": "h@b.c"}]},
        {"op": "Replace", "path": "phoneNumbers", "value": []},
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": str(boss.public_id)},
        {"op": "Replace", "path": "userName", "value": "renamed@contoso.com"},
    )

    response = warm.send("patch", f"/scim/v2/Users/{user.public_id}", body)

    fresh = warm.get(f"/scim/v2/Users/{user.public_id}")
    assert response.json() == fresh.json()
    assert response["ETag"] == fresh["ETag"]


def test_user_create_does_not_read_the_user_back(warm):
    body = entra_user(phoneNumbers=[{"type": "work", "value": "+1 555 0100"}])

    sql = queries(lambda: warm.send("post", "/scim/v2/Users", body))

    # Not even a userName clash check: the unique index refuses a taken name in the INSERT.
    assert selects_from(sql, "users_user") == []
    assert selects_from(sql, "users_useremail") == []
    assert selects_from(sql, "users_userphonenumber") == []


def test_user_create_answers_what_a_fresh_read_shows(warm, tenant, custom_role):
    boss = AgentFactory(tenant=tenant, display_name="The Boss")
    body = entra_user(
        phoneNumbers=[{"type": "work", "value": "+1 555 0100"}],
        addresses=[{"type": "work", "streetAddress": "1 Main St", "primary": True}],
        roles=[{"value": "Team Lead", "primary": True}],
        **{ENTERPRISE: {"manager": {"value": str(boss.public_id)}, "department": "Sales"}},
    )

    response = warm.send("post", "/scim/v2/Users", body)

    fresh = warm.get(f"/scim/v2/Users/{response.json()['id']}")
    assert response.status_code == 201
    assert response.json() == fresh.json()
    assert response["ETag"] == fresh["ETag"]


def test_unfiltered_full_pages_take_the_total_from_the_counters(warm, tenant, tenant_admin):
    add_users(tenant, 12)  # 12 agents, their manager and the admin

    sql, response = queries_and_response(lambda: warm.get("/scim/v2/Users?startIndex=3&count=5"))

    assert response.json()["totalResults"] == 14
    assert not [q for q in sql if "COUNT(" in q.upper() and "users_user" in q]


def test_unfiltered_group_pages_take_the_total_from_the_counters(warm, tenant):
    GroupFactory.create_batch(7, tenant=tenant)

    sql, response = queries_and_response(lambda: warm.get("/scim/v2/Groups?count=2"))

    assert response.json()["totalResults"] == 7
    assert not [q for q in sql if "COUNT(" in q.upper() and "groups_group" in q]
