"""The hot lookups (a userName filter, a page, a resource by id) stay within the account."""

import pytest
from django.utils import timezone

from apps.tokens.services import create_token
from apps.users.models import User
from tests.conftest import ScimClient
from tests.factories import (
    AdminFactory,
    AgentFactory,
    GroupFactory,
    MembershipFactory,
    TenantFactory,
)

USERS = "/scim/v2/Users"


@pytest.fixture
def other_client(db):
    """A client of a second account."""
    other = TenantFactory(subdomain="other", token_access_enabled_at=timezone.now())
    _, secret = create_token(tenant=other, actor=AdminFactory(tenant=other), description="Entra")
    client = ScimClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return other, client


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [resource["id"] for resource in response.json()["Resources"]]


def test_the_username_filter_ignores_case(scim_client, tenant):
    grace = AgentFactory(tenant=tenant, user_name="Grace@Contoso.com")

    response = scim_client.get(USERS, {"filter": 'userName eq "grace@contoso.COM"'})

    assert ids(response) == [str(grace.public_id)]


def test_the_external_id_filter_is_case_exact(scim_client, tenant):
    AgentFactory(tenant=tenant, external_id="ABC-1")

    response = scim_client.get(USERS, {"filter": 'externalId eq "abc-1"'})

    assert ids(response) == []


def test_a_username_lookup_never_finds_another_accounts_user(scim_client, tenant, other_client):
    other, client = other_client
    mine = AgentFactory(tenant=tenant, user_name="grace@contoso.com")
    theirs = AgentFactory(tenant=other, user_name="grace@contoso.com")
    query = {"filter": 'userName eq "grace@contoso.com"'}

    assert ids(scim_client.get(USERS, query)) == [str(mine.public_id)]
    assert ids(client.get(USERS, query)) == [str(theirs.public_id)]


def test_a_page_never_lists_another_accounts_users(scim_client, tenant, other_client):
    other, client = other_client
    AgentFactory.create_batch(2, tenant=tenant)
    theirs = AgentFactory(tenant=other)
    scim_client.get(USERS)

    listed = ids(client.get(USERS))

    assert str(theirs.public_id) in listed
    assert len(listed) == User.objects.filter(tenant=other).count()


def test_pages_of_other_sizes_and_starts_are_their_own_slices(scim_client, tenant):
    users = [str(u.public_id) for u in AgentFactory.create_batch(5, tenant=tenant)]
    everyone = ids(scim_client.get(USERS))

    assert ids(scim_client.get(USERS, {"startIndex": 2, "count": 2})) == everyone[1:3]
    assert ids(scim_client.get(USERS, {"startIndex": 4, "count": 2})) == everyone[3:5]
    assert set(users) <= set(everyone)


def test_a_group_found_by_name_lists_its_members(scim_client, tenant):
    membership = MembershipFactory(group=GroupFactory(tenant=tenant, display_name="Sales"))

    response = scim_client.get("/scim/v2/Groups", {"filter": 'displayName eq "sales"'})

    (group,) = response.json()["Resources"]
    assert [m["value"] for m in group["members"]] == [str(membership.user.public_id)]


def test_a_group_found_by_name_without_members_shows_none(scim_client, tenant):
    MembershipFactory(group=GroupFactory(tenant=tenant, display_name="Sales"))

    response = scim_client.get(
        "/scim/v2/Groups", {"filter": 'displayName eq "Sales"', "excludedAttributes": "members"}
    )

    (group,) = response.json()["Resources"]
    assert "members" not in group


def test_a_user_by_id_is_never_another_accounts_user(scim_client, tenant, other_client):
    grace = AgentFactory(tenant=tenant)
    other, client = other_client
    stranger = AgentFactory(tenant=other)
    assert scim_client.get(f"{USERS}/{grace.public_id}").status_code == 200

    response = client.get(f"{USERS}/{grace.public_id}")

    assert response.status_code == 404
    assert response.json()["detail"] == "No user with this id."
    assert client.get(f"{USERS}/{stranger.public_id}").json()["id"] == str(stranger.public_id)


def test_a_locked_user_by_id_is_never_another_accounts_user(scim_client, tenant, other_client):
    grace = AgentFactory(tenant=tenant)
    other, client = other_client
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Boss"}],
    }
    assert scim_client.send("patch", f"{USERS}/{grace.public_id}", body).status_code == 200

    response = client.send("patch", f"{USERS}/{grace.public_id}", body)

    assert response.status_code == 404
    grace.refresh_from_db()
    assert grace.title == "Boss"
    assert grace.version == 2


def test_a_group_by_id_is_never_another_accounts_group(scim_client, tenant, other_client):
    group = GroupFactory(tenant=tenant)
    _, client = other_client
    assert scim_client.get(f"/scim/v2/Groups/{group.public_id}").status_code == 200

    assert client.get(f"/scim/v2/Groups/{group.public_id}").status_code == 404
    assert client.delete(f"/scim/v2/Groups/{group.public_id}").status_code == 404
    assert GroupFactory._meta.model.objects.filter(pk=group.pk).exists()
