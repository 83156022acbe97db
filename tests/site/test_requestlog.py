"""One structured line per request, secrets redacted, and the request id in X-Request-ID."""

import json
import logging

import pytest

from apps.audit.redaction import redact_secrets
from commbox_site.requestlog import JsonFormatter


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="commbox.requests")
    return lambda: [r for r in caplog.records if r.name == "commbox.requests"]


def test_every_response_carries_a_request_id(client, db):
    response = client.get("/login/")

    assert len(response["X-Request-ID"]) == 32


def test_a_sane_incoming_request_id_is_kept(client, db):
    response = client.get("/login/", HTTP_X_REQUEST_ID="lb-4f1c2a9e-0001")

    assert response["X-Request-ID"] == "lb-4f1c2a9e-0001"


def test_an_insane_incoming_request_id_is_replaced(client, db):
    response = client.get("/login/", HTTP_X_REQUEST_ID="<script>" + "x" * 300)

    assert len(response["X-Request-ID"]) == 32
    assert "<" not in response["X-Request-ID"]


def test_a_scim_request_is_logged_once_with_tenant_token_status_and_duration(
    scim_client, api_token, request_lines
):
    response = scim_client.get("/scim/v2/Users?count=1")

    [line] = request_lines()
    assert line.request_id == response["X-Request-ID"]
    assert line.tenant == api_token[0].tenant_id
    assert line.token == str(api_token[0].public_id)
    assert (line.method, line.path, line.status) == ("GET", "/scim/v2/Users?count=1", 200)
    assert line.duration_ms >= 0


def test_a_signed_in_page_is_logged_with_the_tenant(client, tenant_admin, request_lines):
    client.force_login(tenant_admin)

    client.get("/settings/")

    [line] = request_lines()
    assert (line.tenant, line.token, line.status) == (tenant_admin.tenant_id, None, 200)


def test_a_token_in_the_url_is_not_logged(scim_client, api_token, request_lines, caplog):
    secret = api_token[1]

    scim_client.get(f'/scim/v2/Users/{secret}?filter=userName eq "{secret}"')

    assert secret not in request_lines()[0].path
    assert secret not in caplog.text


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (
            "/scim/v2/Users?access_token=abc&count=2",
            "/scim/v2/Users?access_token=[redacted]&count=2",
        ),
        ("/scim/v2/Users?Authorization=Bearer%20x", "/scim/v2/Users?Authorization=[redacted]"),
        (
            "/x?api_key=1&apiKey=2&secret=3",
            "/x?api_key=[redacted]&apiKey=[redacted]&secret=[redacted]",
        ),
        ("/x?code=123&state=ok", "/x?code=[redacted]&state=ok"),
        ("/x/cbx_abcDEF123?x=cbx_Zz9", "/x/cbx_[redacted]?x=cbx_[redacted]"),
        (
            "/scim/v2/Users?filter=userName%20eq%20%22a%22",
            "/scim/v2/Users?filter=userName%20eq%20%22a%22",
        ),
    ],
)
def test_paths_are_logged_without_credentials(path, logged):
    assert redact_secrets(path) == logged


def test_the_json_line_has_the_request_fields(scim_client, request_lines):
    scim_client.get("/scim/v2/Users")

    line = json.loads(JsonFormatter().format(request_lines()[0]))

    assert set(line) >= {"time", "request_id", "tenant", "token", "method", "path", "status"}
    assert line["time"].endswith("+00:00")


def test_a_very_long_path_is_logged_shortened(scim_client, request_lines):
    scim_client.get("/scim/v2/Users?filter=" + "x" * 5000)

    assert len(request_lines()[0].path) < 1100
    assert request_lines()[0].path.endswith("more)")
