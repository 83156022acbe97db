"""Every settings page costs the same number of queries whatever the directory's size: the
timings at 100,000 and 1,000,000 users (bench/RESULTS.md, scripts/page-timings) hold only
while no page gains a query per user, group or membership."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.groups.models import GroupMembership
from apps.users.models import User, UserEmail
from tests.factories import GroupFactory


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


@pytest.fixture
def big_group(tenant):
    return GroupFactory(tenant=tenant, display_name="Everyone")


def grow(tenant, group, count: int, *, start: int) -> User:
    """`count` more agents, each with an email and in `group` and a group of their own."""
    users = User.objects.bulk_create(
        User(tenant=tenant, user_name=f"grown{start + i}@example.com", role="agent", password="!")
        for i in range(count)
    )
    UserEmail.objects.bulk_create(
        UserEmail(tenant=tenant, user=u, value=u.user_name, primary=True) for u in users
    )
    own_groups = [GroupFactory(tenant=tenant, display_name=f"Own {u.user_name}") for u in users]
    GroupMembership.objects.bulk_create(
        [GroupMembership(tenant=tenant, group=group, user=u) for u in users]
        + [
            GroupMembership(tenant=tenant, group=g, user=u)
            for g, u in zip(own_groups, users, strict=True)
        ]
    )
    return users[0]


# (URL name, query string, most queries the page may take)
PAGES = [
    ("portal:settings", "", 17),
    ("users:list", "", 10),
    ("users:list", "q=grown1", 11),
    ("users:list", "q=example", 11),
    ("users:list", "sort=-last_sign_in", 10),
    ("users:list", "sort=source&role=agent&active=yes&group=Everyone", 10),
    ("users:detail", "", 13),
    ("groups:list", "", 8),
    ("groups:detail", "", 13),
    ("groups:detail", "q=grown", 16),
    ("roles:list", "", 8),
    ("audit:list", "", 8),
    ("tokens:list", "", 8),
    ("tokens:settings", "", 6),
    ("tokens:provisioning", "", 12),
    ("sso:settings", "", 12),
]


def _url(name: str, query: str, user: User, group) -> str:
    args = {"users:detail": [user.public_id], "groups:detail": [group.public_id]}.get(name, [])
    path = reverse(name, args=args)
    return f"{path}?{query}" if query else path


@pytest.mark.parametrize(("name", "query", "budget"), PAGES)
def test_settings_page_query_count_does_not_grow_with_the_directory(
    admin_client, tenant, big_group, name, query, budget
):
    first = grow(tenant, big_group, 3, start=0)
    url = _url(name, query, first, big_group)
    admin_client.get(url)  # a first visit may create the page's settings row
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(url).status_code == 200
    grow(tenant, big_group, 60, start=3)

    with CaptureQueriesContext(connection) as bigger:
        admin_client.get(url)

    assert len(bigger) == len(small) <= budget
