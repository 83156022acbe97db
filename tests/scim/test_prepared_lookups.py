"""The prepared lookups answer exactly what the general filter and the ORM answer."""

import pytest

from apps.scim import prepared_lookups
from tests.factories import (
    AgentFactory,
    GroupFactory,
    MembershipFactory,
    TenantFactory,
    UserEmailFactory,
    UserFactory,
    UserPhoneNumberFactory,
)

# Two clauses, so the general filter answers, not the prepared lookup of one `eq`.
GENERAL = ' or userName eq "nobody-at-all"'


@pytest.fixture
def described_agent(tenant, custom_role):
    manager = UserFactory(tenant=tenant, user_name="boss@contoso.com", display_name="The Boss")
    agent = AgentFactory(
        tenant=tenant,
        user_name="ann@contoso.com",
        manager=manager,
        custom_role=custom_role,
        given_name="Ann",
        addresses=[{"type": "work", "locality": "Oslo"}],
    )
    UserEmailFactory(user=agent, value="ann@contoso.com", type="work", primary=True)
    UserPhoneNumberFactory(user=agent, value="+47 1234", type="mobile")
    return agent


def resources(response):
    return response.json()["Resources"]


def test_a_user_named_in_a_filter_is_the_user_the_general_filter_finds(
    prepared_lookups, described_agent, buffered_request_log, django_assert_num_queries
):
    scim_client = prepared_lookups
    with django_assert_num_queries(1):
        prepared = scim_client.get('/scim/v2/Users?filter=userName eq "ANN@contoso.com"')
    general = scim_client.get(f'/scim/v2/Users?filter=userName eq "ann@contoso.com"{GENERAL}')

    assert resources(prepared) == resources(general)
    assert "Team_Lead" in [role["value"] for role in resources(prepared)[0]["roles"]]


def test_a_user_by_id_shows_the_manager_role_and_contacts_the_list_shows(
    prepared_lookups, described_agent, buffered_request_log, django_assert_num_queries
):
    scim_client = prepared_lookups
    listed = resources(
        scim_client.get(f'/scim/v2/Users?filter=userName eq "ann@contoso.com"{GENERAL}')
    )

    with django_assert_num_queries(1):
        by_id = scim_client.get(f"/scim/v2/Users/{described_agent.public_id}").json()

    assert by_id == listed[0]


def test_a_user_of_another_account_is_not_found_by_name(scim_client):
    UserFactory(tenant=TenantFactory(), user_name="eve@contoso.com")

    response = scim_client.get('/scim/v2/Users?filter=userName eq "eve@contoso.com"')

    assert response.json()["totalResults"] == 0


def test_a_user_of_another_account_is_not_found_by_id(scim_client):
    eve = UserFactory(tenant=TenantFactory(), user_name="eve@contoso.com")

    response = scim_client.get(f"/scim/v2/Users/{eve.public_id}")

    assert response.status_code == 404


def test_a_group_named_in_a_filter_is_the_group_the_general_filter_finds(scim_client, tenant):
    group = GroupFactory(tenant=tenant, display_name="Support Tier 2")
    MembershipFactory(group=group, user=AgentFactory(tenant=tenant))
    general_filter = 'displayName eq "support tier 2" or displayName eq "nobody-at-all"'

    prepared = scim_client.get('/scim/v2/Groups?filter=displayName eq "SUPPORT TIER 2"')
    general = scim_client.get(f"/scim/v2/Groups?filter={general_filter}")

    assert resources(prepared) == resources(general)
    assert len(resources(prepared)[0]["members"]) == 1


def test_a_group_of_another_account_is_not_found_by_id(scim_client):
    group = GroupFactory(tenant=TenantFactory(), display_name="Theirs")

    response = scim_client.get(f"/scim/v2/Groups/{group.public_id}")

    assert response.status_code == 404


def test_prepared_shapes_are_bounded_per_process(scim_client, monkeypatch):
    monkeypatch.setattr(prepared_lookups, "_prepared", {})
    monkeypatch.setattr(prepared_lookups, "MAX_SHAPES", 2)

    for count in (10, 20, 30):
        scim_client.get(f'/scim/v2/Users?filter=userName eq "ann"&count={count}')

    assert [key[3] for key in prepared_lookups._prepared] == [20, 30]


def test_a_prepared_user_has_every_value_the_orm_loads(tenant, described_agent):
    [prepared] = prepared_lookups.users_named(tenant, "ann@contoso.com", start=1, count=1)
    loaded = type(described_agent).objects.get(pk=described_agent.pk)

    model = type(described_agent)
    names = [model._meta.get_field(name).attname for name in prepared_lookups.USER_COLUMNS]
    assert [getattr(prepared, name) for name in names] == [getattr(loaded, name) for name in names]
    assert prepared.addresses == [{"type": "work", "locality": "Oslo"}]
    assert (prepared.manager.user_name, prepared.custom_role.name) == (
        "boss@contoso.com",
        loaded.custom_role.name,
    )
