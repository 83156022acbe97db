"""The requests chart says its figures in words and in a table, not only in hover titles."""

import pytest
from django.urls import reverse

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


@pytest.fixture
def two_requests_one_error(scim_client):
    assert scim_client.get("/scim/v2/ServiceProviderConfig").status_code == 200
    assert scim_client.send("post", "/scim/v2/Users", {"schemas": [CORE_USER]}).status_code == 400


def test_provisioning_chart_is_summed_up_in_one_sentence(admin_client, two_requests_one_error):
    response = admin_client.get(reverse("tokens:provisioning"))

    assert "2 SCIM requests in the last 24 hours, 1 error, 0 refused." in response.content.decode()


def test_provisioning_chart_has_its_figures_in_a_table_one_click_away(
    admin_client, two_requests_one_error
):
    response = admin_client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert "<summary>Figures per 30 minutes</summary>" in content
    assert "<td>1</td><td>1</td><td>0</td><td>2</td>" in content
    assert content.count('<th scope="row">') >= 48
