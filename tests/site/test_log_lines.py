"""Every line written while a request is served is one JSON object with the request's id."""

import io
import json
import logging
import sys

import pytest
from django.urls import reverse

from commbox_site.requestlog import JsonFormatter


@pytest.fixture
def console_lines():
    """The lines the console handler writes (settings.LOGGING), as production writes them."""
    [handler] = [h for h in logging.getLogger().handlers if h.name == "console"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def test_the_console_writes_json_lines_with_python_json_logger(console_lines, client, db):
    client.get("/login/")

    [line] = [line for line in console_lines() if line["logger"] == "commbox.requests"]
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")


def test_a_failed_scim_request_logs_its_warning_with_the_request_id_and_tenant(
    console_lines, scim_client, api_token
):
    response = scim_client.get("/scim/v2/Users/not-a-uuid")

    [warning] = [line for line in console_lines() if line["logger"] == "django.request"]
    assert warning["level"] == "WARNING"
    assert warning["request_id"] == response["X-Request-ID"]
    assert warning["tenant"] == api_token[0].tenant_id


def test_a_refused_token_logs_its_warning_with_the_request_id(console_lines, client, db):
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer cbx_unknown")

    [warning] = [line for line in console_lines() if line["logger"] == "django.request"]
    assert warning["request_id"] == response["X-Request-ID"]
    assert warning["status_code"] == 401


def test_a_warning_logged_by_the_app_inside_a_request_has_the_request_id(
    console_lines, scim_client, settings
):
    # Redis that cannot be reached: the throttle lets the request through with a warning.
    settings.CACHES = {
        "default": {
            "BACKEND": "commbox_site.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6459/0",
            "KEY_PREFIX": "unreachable",
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }

    response = scim_client.get("/scim/v2/Users")

    [warning] = [line for line in console_lines() if line["logger"] == "apps.scim.throttling"]
    assert warning["request_id"] == response["X-Request-ID"]


def test_a_line_after_the_request_has_no_request_id(console_lines, client, db):
    client.get(reverse("portal:login"))

    logging.getLogger("apps.test").warning("between requests")

    [line] = [line for line in console_lines() if line["logger"] == "apps.test"]
    assert "request_id" not in line


def test_no_extra_field_is_dropped():
    record = logging.makeLogRecord(
        {"name": "apps.x", "levelname": "INFO", "msg": "m", "sync_cycle": 7, "resource": "User"}
    )

    line = json.loads(JsonFormatter().format(record))

    assert (line["sync_cycle"], line["resource"]) == (7, "User")


def test_a_token_in_a_traceback_is_redacted():
    try:
        raise ValueError("bad token cbx_abcdefghijklmnop")
    except ValueError:
        record = logging.makeLogRecord({"name": "apps.x", "msg": "failed", "levelname": "ERROR"})
        record.exc_info = sys.exc_info()

    line = json.loads(JsonFormatter().format(record))

    assert "cbx_abcdefghijklmnop" not in line["exception"]
    assert "cbx_[redacted]" in line["exception"]
