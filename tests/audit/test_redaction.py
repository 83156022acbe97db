"""Tokens and credential parameters never reach the SCIM request log, the screens or the logs."""

import logging

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.urls import reverse

from apps.audit.models import ScimRequest
from apps.audit.redaction import RedactSecretsFilter, redact_secrets
from apps.audit.services import record_scim_request
from tests.factories import StaffFactory

TOKEN = "cbx_4fT9qLmZ0aBcDeFgHiJkLmNoPqRsTu0x1y2z"


@pytest.mark.parametrize(
    ("path", "redacted"),
    [
        (f"/scim/v2/Users?access_token={TOKEN}", "/scim/v2/Users?access_token=[redacted]"),
        ("/scim/v2/Users?token=anything&count=5", "/scim/v2/Users?token=[redacted]&count=5"),
        ("/scim/v2/Users?Authorization=Bearer%20x", "/scim/v2/Users?Authorization=[redacted]"),
        (
            "/scim/v2/Users?api_key=k&apiKey=k",
            "/scim/v2/Users?api_key=[redacted]&apiKey=[redacted]",
        ),
        ("/scim/v2/Users?client_secret=s", "/scim/v2/Users?client_secret=[redacted]"),
        ("/scim/v2/Users?password=p", "/scim/v2/Users?password=[redacted]"),
        (
            "/scim/v2/Users?jwt=x&sig=y&key=z",
            "/scim/v2/Users?jwt=[redacted]&sig=[redacted]&key=[redacted]",
        ),
        (f"/scim/v2/Users/{TOKEN}", "/scim/v2/Users/cbx_[redacted]"),
        ("/scim/v2/Users/cbx%5F4fT9qLmZ0aBcDe", "/scim/v2/Users/cbx%5F[redacted]"),
        ("/scim/v2/Users/%63bx_4fT9%71LmZ0aBcDe", "/scim/v2/Users/%63bx_[redacted]"),
        (
            f'/scim/v2/Users?filter=userName+eq+"{TOKEN}"',
            '/scim/v2/Users?filter=userName+eq+"cbx_[redacted]"',
        ),
        (
            "/scim/v2/Users?filter=title%20eq%20%22Bearer%20abcdefghijkl%22",
            "/scim/v2/Users?filter=title%20eq%20%22Bearer%20[redacted]",
        ),
        (
            "/scim/v2/Users?q=eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl",
            "/scim/v2/Users?q=[redacted]",
        ),
    ],
)
def test_secrets_are_redacted_from_paths(path, redacted):
    assert redact_secrets(path) == redacted


@pytest.mark.parametrize(
    "path",
    [
        '/scim/v2/Users?filter=userName eq "ann@contoso.com"&startIndex=1&count=100',
        "/scim/v2/Groups?excludedAttributes=members&attributes=displayName",
        "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646?aadOptscim062020",
        '/scim/v2/Groups?filter=displayName eq "Basic plan"',
    ],
)
def test_ordinary_scim_paths_are_kept_as_they_are(path):
    assert redact_secrets(path) == path


def test_a_token_in_the_query_is_not_stored_in_the_request_log(scim_client, api_token):
    secret = api_token[1]

    scim_client.get(f"/scim/v2/Users?access_token={secret}&count=1")

    row = ScimRequest.objects.get()
    assert secret not in row.path
    assert row.path == "/scim/v2/Users?access_token=[redacted]&count=1"


def test_a_token_in_the_path_is_not_stored_in_the_request_log(scim_client, api_token):
    secret = api_token[1]

    response = scim_client.get(f"/scim/v2/Users/{secret}")

    assert response.status_code == 404
    assert ScimRequest.objects.get().path == "/scim/v2/Users/cbx_[redacted]"


def test_provisioning_tab_never_shows_a_stored_token(client, tenant, tenant_admin):
    ScimRequest.objects.create(
        tenant=tenant, method="GET", path=f"/scim/v2/Users?token={TOKEN}", status=200, duration_ms=1
    )
    client.force_login(tenant_admin)

    response = client.get(reverse("tokens:provisioning"))

    content = response.content.decode()
    assert TOKEN not in content
    assert "/scim/v2/Users?token=[redacted]" in content


def test_django_admin_never_shows_a_stored_token(client, tenant):
    row = ScimRequest.objects.create(
        tenant=tenant, method="GET", path=f"/scim/v2/Users/{TOKEN}", status=404, duration_ms=1
    )
    support = StaffFactory(user_name="support")
    support.groups.add(PermissionGroup.objects.get(name="Support"))
    client.force_login(support)

    changelist = client.get(reverse("admin:audit_scimrequest_changelist"))
    change = client.get(reverse("admin:audit_scimrequest_change", args=[row.pk]))

    assert changelist.status_code == change.status_code == 200
    assert TOKEN not in changelist.content.decode()
    assert TOKEN not in change.content.decode()
    assert "cbx_[redacted]" in change.content.decode()


def test_log_filter_redacts_the_formatted_message():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", f"/x/{TOKEN}"), None
    )

    RedactSecretsFilter().filter(record)

    assert record.getMessage() == "Not Found: /x/cbx_[redacted]"


def test_the_console_log_handler_redacts():
    handlers = logging.getLogger().handlers

    assert any(
        isinstance(log_filter, RedactSecretsFilter)
        for handler in handlers
        for log_filter in handler.filters
    )


def test_a_nul_or_lone_surrogate_in_a_request_log_row_is_stored_escaped(tenant, api_token):
    record_scim_request(
        tenant_id=tenant.pk,
        token=api_token[0],
        method="GET",
        path="/scim/v2/Users/%00",
        status=404,
        duration_ms=1,
        detail='No User with id "\x00\ud800".',
    )

    row = ScimRequest.objects.get()
    assert row.detail == 'No User with id "\\x00?".'
