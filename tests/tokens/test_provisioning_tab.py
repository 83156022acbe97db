"""The Provisioning tab: the setup checklist first, then a request log that filters and pages."""

import pytest
from django.urls import reverse

from apps.audit.models import ScimRequest
from apps.audit.selectors import LOG_PAGE_SIZE
from tests.factories import AgentFactory, GroupFactory


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def log_request(tenant, path, status=200, refusal="", token=None):
    return ScimRequest.objects.create(
        tenant=tenant,
        token=token,
        method="GET",
        path=path,
        status=status,
        duration_ms=4,
        refusal=refusal,
    )


def paths(response) -> list[str]:
    return [row.path for row, _parts in response.context["log_rows"]]


def test_the_checklist_asks_for_token_access_while_it_is_off(admin_client, tenant):
    tenant.token_access_enabled_at = None
    tenant.save(update_fields=["token_access_enabled_at"])

    response = admin_client.get(reverse("tokens:provisioning"))

    assert response.context["checklist"]["token_access"] is False
    assert "<strong>Token Access</strong> is off" in response.content.decode()


def test_the_checklist_counts_saved_tokens(admin_client, api_token):
    response = admin_client.get(reverse("tokens:provisioning"))

    assert response.context["checklist"]["saved_tokens"] == 1
    assert "1 saved API token that works" in response.content.decode()


def test_the_checklist_names_the_last_request_and_its_outcome(admin_client, tenant, api_token):
    log_request(tenant, "/scim/v2/Users", status=200, token=api_token[0])
    log_request(tenant, "/scim/v2/Groups", status=401, refusal="revoked", token=api_token[0])

    response = admin_client.get(reverse("tokens:provisioning"))

    page = response.content.decode()
    assert "answered 401, refused: Revoked API token." in page
    assert '<span class="badge warning">Refused</span>' in page


def test_the_checklist_waits_for_a_first_request(admin_client):
    response = admin_client.get(reverse("tokens:provisioning"))

    assert "No request from Entra yet" in response.content.decode()


def test_the_log_is_folded_on_a_fresh_visit(admin_client):
    response = admin_client.get(reverse("tokens:provisioning"))

    assert '<details class="card request-log" id="request-log">' in response.content.decode()


def test_the_log_filters_to_errors_and_refusals(admin_client, tenant, api_token):
    log_request(tenant, "/scim/v2/Users/ok", token=api_token[0])
    log_request(tenant, "/scim/v2/Users/bad", status=400, token=api_token[0])
    log_request(tenant, "/scim/v2/Users/refused", status=401, refusal="revoked")

    response = admin_client.get(reverse("tokens:provisioning"), {"log": "problems"})

    assert paths(response) == ["/scim/v2/Users/refused", "/scim/v2/Users/bad"]
    assert 'id="request-log" open' in response.content.decode()


def test_the_log_is_paged_from_newest_to_oldest(admin_client, tenant):
    rows = [log_request(tenant, f"/scim/v2/Users/{n}") for n in range(LOG_PAGE_SIZE + 5)]

    first = admin_client.get(reverse("tokens:provisioning"))
    second = admin_client.get(
        reverse("tokens:provisioning"), {"log": "all", "before": first.context["log"].older}
    )

    assert paths(first) == [row.path for row in rows[::-1][:LOG_PAGE_SIZE]]
    assert paths(second) == [row.path for row in rows[::-1][LOG_PAGE_SIZE:]]
    assert second.context["log"].older is None


def test_a_cursor_that_is_not_an_id_shows_the_newest_page(admin_client, tenant):
    log_request(tenant, "/scim/v2/Users")

    response = admin_client.get(reverse("tokens:provisioning"), {"before": "-1 OR 1=1"})

    assert paths(response) == ["/scim/v2/Users"]


def test_the_log_names_users_and_groups_with_links(admin_client, tenant):
    agent = AgentFactory(tenant=tenant, display_name="Grace Hopper")
    group = GroupFactory(tenant=tenant, display_name="Tier 2")
    log_request(tenant, f"/scim/v2/Users/{agent.public_id}")
    log_request(tenant, f"/scim/v2/Groups/{group.public_id}?excludedAttributes=members")

    response = admin_client.get(reverse("tokens:provisioning"))

    page = response.content.decode()
    user_url = reverse("users:detail", kwargs={"user_id": agent.public_id})
    group_url = reverse("groups:detail", kwargs={"group_id": group.public_id})
    assert f'/scim/v2/Users/<wbr><a href="{user_url}">Grace Hopper</a>' in page
    assert f'/scim/v2/Groups/<wbr><a href="{group_url}">Tier 2</a>?excludedAttributes' in page


def test_an_id_of_another_account_is_not_named(admin_client, tenant, outsider):
    log_request(tenant, f"/scim/v2/Users/{outsider.public_id}")

    response = admin_client.get(reverse("tokens:provisioning"))

    assert f"/scim/v2/Users/{outsider.public_id}" in response.content.decode()
    assert outsider.user_name not in response.content.decode()


def test_a_plus_in_the_query_is_shown_as_a_space(tenant):
    row = log_request(tenant, "/scim/v2/Users?filter=userName+eq+%22a+b%40contoso.com%22")

    assert row.decoded_path == '/scim/v2/Users?filter=userName eq "a b@contoso.com"'
