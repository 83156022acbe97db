"""What the benchmark's workloads cost in queries, pinned, whatever the size of the directory.

w1 (userName filter), w3 (PATCH of two name parts) and w5 (one member added, then removed as
Entra removes it) take the same number of queries with a few users as with thousands, and
on a group of ten members as on one of thousands; the timing at a million users is in
bench/RESULTS.md. Inside a test's transaction, the view's own transaction shows as a
SAVEPOINT and its RELEASE: two queries more than BEGIN and COMMIT cost in production.
"""

import pytest
from django.core.management import call_command

from apps.groups.models import Group
from apps.users.models import User
from tests.scim.entra import patch_body

SIZES = [10, 3000]


@pytest.fixture
def warm(scim_client, prepared_lookups, buffered_request_log):
    # The first two requests load the token (and write its last use); later ones do not.
    scim_client.get("/scim/v2/ServiceProviderConfig")
    scim_client.get("/scim/v2/ServiceProviderConfig")
    return scim_client


def seed(tenant, users, members=0):
    call_command(
        "seed_directory", tenant.subdomain, users=users, groups=1, members=members, no_progress=True
    )


@pytest.mark.parametrize("users", SIZES)
def test_user_filter_takes_one_query_at_any_size(warm, tenant, users, django_assert_num_queries):
    seed(tenant, users)

    with django_assert_num_queries(1):
        response = warm.get('/scim/v2/Users?filter=userName eq "bench7@example.com"')

    assert response.json()["Resources"][0]["userName"] == "bench7@example.com"


@pytest.mark.parametrize("users", SIZES)
def test_user_patch_takes_five_queries_at_any_size(warm, tenant, users, django_assert_num_queries):
    seed(tenant, users)
    user = User.objects.get(user_name="bench7@example.com")
    body = patch_body(
        {"op": "Replace", "path": "name.givenName", "value": "Ann"},
        {"op": "Replace", "path": "name.familyName", "value": "Lee"},
    )

    # The view's transaction; the user with its emails and phone numbers, locked; the
    # update; the audit row; the transaction's end. The service opens no savepoint in it.
    with django_assert_num_queries(5):
        response = warm.send("patch", f"/scim/v2/Users/{user.public_id}", body)

    assert response.json()["name"]["givenName"] == "Ann"


@pytest.mark.parametrize("members", SIZES)
def test_member_add_and_remove_take_the_same_queries_on_any_group(
    warm, tenant, members, django_assert_num_queries
):
    seed(tenant, members + 1, members=members)
    group = Group.objects.for_tenant(tenant).get()
    newcomer = User.objects.get(user_name=f"bench{members}@example.com")
    member = {"path": "members", "value": [{"value": str(newcomer.public_id)}]}
    url = f"/scim/v2/Groups/{group.public_id}"

    with django_assert_num_queries(8):
        added = warm.send("patch", url, patch_body({"op": "Add", **member}))
    with django_assert_num_queries(8):
        removed = warm.send("patch", url, patch_body({"op": "Remove", **member}))

    assert (added.status_code, removed.status_code) == (204, 204)
    assert group.memberships.count() == members
