"""Prometheus metrics at /metrics: what an operator watches, for the operator only."""

import pytest
from prometheus_client import REGISTRY

from tests.scim.entra import entra_user


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = "metrics-token-for-tests"
    return settings.METRICS_TOKEN


def test_metrics_answer_404_when_no_reader_is_configured(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_request_without_the_token(client, metrics_token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_metrics_answer_the_bearer_token(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")

    assert response.status_code == 200
    assert b"commbox_scim_requests_total" in response.content


def test_metrics_answer_an_allowed_address(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]

    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_an_address_a_client_forwards_itself_is_not_allowed(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.TRUSTED_PROXY_COUNT = 1

    response = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9"
    )

    assert response.status_code == 403


def test_scim_requests_are_counted_by_method_resource_and_status_class(scim_client):
    labels = {"method": "POST", "resource": "Users", "status_class": "2xx"}
    before = value("commbox_scim_requests_total", **labels)

    scim_client.send("post", "/scim/v2/Users", entra_user("grace@contoso.example"))

    assert value("commbox_scim_requests_total", **labels) == before + 1


def test_scim_latency_is_observed_by_method_and_resource(scim_client):
    before = value("commbox_scim_request_duration_seconds_count", method="GET", resource="Groups")

    scim_client.get("/scim/v2/Groups")

    after = value("commbox_scim_request_duration_seconds_count", method="GET", resource="Groups")
    assert after == before + 1


def test_a_refused_token_is_counted_with_its_reason(client, api_token):
    token, secret = api_token
    token.revoked_at = token.created_at
    token.save(update_fields=["revoked_at"])
    before = value("commbox_refused_requests_total", channel="scim", reason="revoked")

    client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert value("commbox_refused_requests_total", channel="scim", reason="revoked") == before + 1


def test_request_log_rows_written_are_counted(scim_client):
    before = value("commbox_request_log_rows_total", outcome="written")

    scim_client.get("/scim/v2/Users")

    assert value("commbox_request_log_rows_total", outcome="written") == before + 1


# The outage is a PostgreSQL server that does not answer (tests/scim/test_faults.py).
@pytest.mark.postgres
def test_a_database_outage_is_counted(scim_client, unreachable_database):
    before = value("commbox_database_unavailable_responses_total", channel="scim")

    response = scim_client.get("/scim/v2/Users")

    assert response.status_code == 503
    assert value("commbox_database_unavailable_responses_total", channel="scim") == before + 1


def test_no_tenant_or_user_appears_in_the_metrics(client, scim_client, tenant, metrics_token):
    scim_client.send("post", "/scim/v2/Users", entra_user("ada.lovelace@contoso.example"))
    scim_client.get('/scim/v2/Users?filter=userName eq "ada.lovelace@contoso.example"')

    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}").content.decode()

    assert "ada.lovelace" not in text
    assert tenant.subdomain not in text
