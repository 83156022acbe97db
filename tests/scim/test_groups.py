import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.groups.models import Group, GroupMembership
from tests.factories import AgentFactory, GroupFactory, MembershipFactory, UserFactory
from tests.scim.entra import ADSCIM_GROUP, entra_group, patch_body


@pytest.fixture
def group(tenant):
    return GroupFactory(tenant=tenant, display_name="Sales")


def members_of(group):
    return set(GroupMembership.objects.filter(group=group).values_list("user_id", flat=True))


def patch_group(client, group, *operations, **extra):
    return client.send(
        "patch", f"/scim/v2/Groups/{group.public_id}", patch_body(*operations), **extra
    )


def member(user):
    return {"$ref": None, "value": str(user.public_id)}


def test_entra_create_with_the_adscim_urn_is_201_with_no_members(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Groups", entra_group("Sales"))

    assert response.status_code == 201
    group = Group.objects.get(tenant=tenant)
    body = response.json()
    assert body["id"] == str(group.public_id)
    assert body["members"] == []
    assert body["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    assert response["Location"].endswith(f"/scim/v2/Groups/{group.public_id}")
    assert ADSCIM_GROUP not in body["schemas"]


def test_create_with_members(scim_client, tenant, agent):
    body = {**entra_group("Sales"), "members": [member(agent)]}

    response = scim_client.send("post", "/scim/v2/Groups", body)

    assert response.json()["members"][0]["value"] == str(agent.public_id)
    assert members_of(Group.objects.get(tenant=tenant)) == {agent.pk}


def test_duplicate_display_name_in_any_case_is_409(scim_client, group):
    response = scim_client.send("post", "/scim/v2/Groups", entra_group("SALES"))

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_test_connection_group_query_omits_members(scim_client, group):
    MembershipFactory(group=group)

    response = scim_client.get(
        '/scim/v2/Groups?excludedAttributes=members&filter=displayName eq "sales"'
    )

    resources = response.json()["Resources"]
    assert [r["id"] for r in resources] == [str(group.public_id)]
    assert "members" not in resources[0]


def test_group_query_for_an_unknown_name_is_empty(scim_client, tenant):
    response = scim_client.get(
        '/scim/v2/Groups?excludedAttributes=members&filter=displayName eq "x"'
    )

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


def test_get_group_lists_members_with_display_and_ref(scim_client, group):
    user = MembershipFactory(group=group).user

    body = scim_client.get(f"/scim/v2/Groups/{group.public_id}").json()

    assert body["members"] == [
        {
            "value": str(user.public_id),
            "display": user.user_name,
            "$ref": f"http://testserver/scim/v2/Users/{user.public_id}",
            "type": "User",
        }
    ]
    assert body["meta"]["resourceType"] == "Group"


def test_get_group_without_members(scim_client, group):
    MembershipFactory(group=group)

    body = scim_client.get(f"/scim/v2/Groups/{group.public_id}?excludedAttributes=members").json()

    assert "members" not in body
    assert body["displayName"] == "Sales"


def test_add_one_member(scim_client, group, agent):
    response = patch_group(
        scim_client, group, {"op": "Add", "path": "members", "value": [member(agent)]}
    )

    assert response.status_code == 204
    assert members_of(group) == {agent.pk}


def test_add_several_members_in_one_patch(scim_client, tenant, group):
    agents = AgentFactory.create_batch(3, tenant=tenant)

    patch_group(
        scim_client, group, {"op": "Add", "path": "members", "value": [member(a) for a in agents]}
    )

    assert members_of(group) == {a.pk for a in agents}


def test_adding_an_existing_member_again_is_harmless(scim_client, group):
    user = MembershipFactory(group=group).user

    response = patch_group(
        scim_client, group, {"op": "Add", "path": "members", "value": [member(user)]}
    )

    assert response.status_code == 204
    assert members_of(group) == {user.pk}


def test_remove_with_members_in_value_removes_exactly_those(scim_client, group):
    keep = MembershipFactory(group=group).user
    gone = MembershipFactory(group=group).user

    response = patch_group(
        scim_client, group, {"op": "Remove", "path": "members", "value": [member(gone)]}
    )

    assert response.status_code == 204
    assert members_of(group) == {keep.pk}


def test_remove_by_value_filter_path(scim_client, group):
    keep = MembershipFactory(group=group).user
    gone = MembershipFactory(group=group).user

    patch_group(
        scim_client, group, {"op": "remove", "path": f'members[value eq "{gone.public_id}"]'}
    )

    assert members_of(group) == {keep.pk}


def test_remove_by_a_value_filter_with_or(scim_client, group):
    first = MembershipFactory(group=group).user
    second = MembershipFactory(group=group).user
    keep = MembershipFactory(group=group).user

    patch_group(
        scim_client,
        group,
        {
            "op": "remove",
            "path": f'members[value eq "{first.public_id}" or value eq "{second.public_id}"]',
        },
    )

    assert members_of(group) == {keep.pk}


def test_remove_without_value_or_filter_removes_all(scim_client, group):
    MembershipFactory.create_batch(2, group=group)

    patch_group(scim_client, group, {"op": "remove", "path": "members"})

    assert members_of(group) == set()


def test_replace_members(scim_client, tenant, group):
    MembershipFactory(group=group)
    new = AgentFactory(tenant=tenant)

    patch_group(scim_client, group, {"op": "replace", "path": "members", "value": [member(new)]})

    assert members_of(group) == {new.pk}


def test_rename_with_a_string_value(scim_client, group):
    response = patch_group(
        scim_client, group, {"op": "Replace", "path": "displayName", "value": "Sales EMEA"}
    )

    assert response.status_code == 204
    group.refresh_from_db()
    assert group.display_name == "Sales EMEA"


def test_rename_to_a_taken_name_is_409(scim_client, tenant, group):
    GroupFactory(tenant=tenant, display_name="Support")

    response = patch_group(
        scim_client, group, {"op": "Replace", "path": "displayName", "value": "support"}
    )

    assert response.status_code == 409


def test_pathless_replace_with_a_value_object(scim_client, group, agent):
    patch_group(
        scim_client,
        group,
        {
            "op": "replace",
            "value": {"id": str(group.public_id), "displayName": "Renamed", "externalId": "e-1"},
        },
    )

    group.refresh_from_db()
    assert (group.display_name, group.external_id) == ("Renamed", "e-1")


def test_membership_check_finds_a_member(scim_client, group):
    user = MembershipFactory(group=group).user

    response = scim_client.get(
        f'/scim/v2/Groups?filter=id eq "{group.public_id}" and members eq "{user.public_id}"'
        "&attributes=id"
    )

    assert response.json()["Resources"] == [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": str(group.public_id)}
    ]


def test_membership_check_for_a_non_member_is_empty(scim_client, group, agent):
    MembershipFactory(group=group)

    response = scim_client.get(
        f'/scim/v2/Groups?filter=id eq "{group.public_id}" and members eq "{agent.public_id}"'
    )

    assert response.json()["totalResults"] == 0


def test_adding_an_end_user_is_400_and_nothing_is_applied(scim_client, tenant, group, agent):
    customer = UserFactory(tenant=tenant, user_name="customer@example.com")

    response = patch_group(
        scim_client,
        group,
        {"op": "Replace", "path": "displayName", "value": "Renamed"},
        {"op": "Add", "path": "members", "value": [member(agent)]},
        {"op": "Add", "path": "members", "value": [member(customer)]},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["scimType"] == "invalidValue"
    assert "customer@example.com" in body["detail"]
    assert "only agents" in body["detail"]
    group.refresh_from_db()
    assert group.display_name == "Sales"
    assert members_of(group) == set()
    assert not AuditEvent.objects.filter(action__startswith="group.").exists()


def test_adding_an_unknown_user_is_400(scim_client, group):
    response = patch_group(
        scim_client,
        group,
        {"op": "Add", "path": "members", "value": [{"value": str(uuid.uuid4())}]},
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_adding_another_tenants_user_is_400(scim_client, group, outsider):
    response = patch_group(
        scim_client, group, {"op": "Add", "path": "members", "value": [member(outsider)]}
    )

    assert response.status_code == 400
    assert members_of(group) == set()


def test_member_changes_are_audited_with_the_token(scim_client, group, agent, token):
    patch_group(scim_client, group, {"op": "Add", "path": "members", "value": [member(agent)]})

    event = AuditEvent.objects.get(action="group.member_added")
    assert (event.channel, event.actor_id) == ("scim", str(token.public_id))


def test_patch_with_attributes_returns_the_group(scim_client, group, agent):
    response = scim_client.send(
        "patch",
        f"/scim/v2/Groups/{group.public_id}?attributes=members",
        patch_body({"op": "Add", "path": "members", "value": [member(agent)]}),
    )

    assert response.status_code == 200
    assert [m["value"] for m in response.json()["members"]] == [str(agent.public_id)]


def test_put_replaces_name_and_members(scim_client, tenant, group):
    MembershipFactory(group=group)
    new = AgentFactory(tenant=tenant)

    response = scim_client.send(
        "put",
        f"/scim/v2/Groups/{group.public_id}",
        {"displayName": "Support", "members": [member(new)]},
    )

    assert response.status_code == 200
    group.refresh_from_db()
    assert group.display_name == "Support"
    assert members_of(group) == {new.pk}


def test_deactivated_member_stays_in_the_group(scim_client, group):
    user = MembershipFactory(group=group).user

    scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "Replace", "path": "active", "value": "False"}),
    )

    assert members_of(group) == {user.pk}


def test_delete_group_is_204_then_404(scim_client, group):
    MembershipFactory(group=group)

    response = scim_client.delete(f"/scim/v2/Groups/{group.public_id}")

    assert response.status_code == 204
    assert scim_client.get(f"/scim/v2/Groups/{group.public_id}").status_code == 404


def test_other_tenants_group_is_404(scim_client, outsider):
    other = GroupFactory(tenant=outsider.tenant)

    assert scim_client.get(f"/scim/v2/Groups/{other.public_id}").status_code == 404
    assert scim_client.delete(f"/scim/v2/Groups/{other.public_id}").status_code == 404


def test_group_patch_if_match_mismatch_is_412(scim_client, group, agent):
    response = patch_group(
        scim_client,
        group,
        {"op": "Add", "path": "members", "value": [member(agent)]},
        HTTP_IF_MATCH='W/"999"',
    )

    assert response.status_code == 412
    assert members_of(group) == set()


def test_group_patch_answers_the_new_etag(scim_client, group, agent):
    response = patch_group(
        scim_client,
        group,
        {"op": "Add", "path": "members", "value": [member(agent)]},
        HTTP_IF_MATCH=f'W/"{group.version}"',
    )

    group.refresh_from_db()
    assert response["ETag"] == f'W/"{group.version}"'
    assert group.version == 2


def test_group_pages(scim_client, tenant):
    groups = [GroupFactory(tenant=tenant) for _ in range(5)]

    first = scim_client.get("/scim/v2/Groups?startIndex=1&count=2").json()
    rest = scim_client.get("/scim/v2/Groups?startIndex=3&count=5").json()

    ids = [r["id"] for page in (first, rest) for r in page["Resources"]]
    assert ids == [str(g.public_id) for g in groups]
    assert rest["startIndex"] == 3


def test_group_search_without_members_skips_them(scim_client, group):
    MembershipFactory(group=group)

    response = scim_client.send(
        "post",
        "/scim/v2/Groups/.search",
        {"filter": 'displayName eq "sales"', "excludedAttributes": ["members"]},
    )

    assert [r["id"] for r in response.json()["Resources"]] == [str(group.public_id)]
    assert "members" not in response.json()["Resources"][0]


def test_a_member_patch_moves_meta_last_modified(scim_client, tenant, group):
    Group.objects.filter(pk=group.pk).update(modified_at=datetime(2020, 1, 1, tzinfo=UTC))
    before = scim_client.get(f"/scim/v2/Groups/{group.public_id}").json()["meta"]["lastModified"]

    patch_group(
        scim_client,
        group,
        {"op": "Add", "path": "members", "value": [member(AgentFactory(tenant=tenant))]},
    )

    after = scim_client.get(f"/scim/v2/Groups/{group.public_id}").json()["meta"]["lastModified"]
    assert before.startswith("2020-01-01")
    assert after > before


def test_entras_hundred_member_patch_writes_the_group_row_once(scim_client, tenant, group):
    agents = AgentFactory.create_batch(100, tenant=tenant)

    with CaptureQueriesContext(connection) as queries:
        response = patch_group(
            scim_client,
            group,
            {"op": "Add", "path": "members", "value": [member(u) for u in agents[:50]]},
            {"op": "Add", "path": "members", "value": [member(u) for u in agents[50:]]},
        )

    assert response.status_code == 204
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "groups_group"')]
    assert len(updates) == 1
    assert len(members_of(group)) == 100
