import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit import request_log
from apps.audit.models import ScimRequest
from apps.audit.request_log import RequestLogBuffer
from apps.audit.services import record_scim_request


def test_buffered_rows_wait_until_flushed(tenant, api_token):
    buffer = RequestLogBuffer()
    for status in (200, 404):
        row = ScimRequest(tenant=tenant, method="GET", path="/x", status=status, duration_ms=1)
        buffer.add(row)

    assert not ScimRequest.objects.exists()
    assert buffer.flush() == 2
    assert sorted(ScimRequest.objects.values_list("status", flat=True)) == [200, 404]


def test_a_flush_writes_its_rows_in_one_insert(tenant, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(request_log, "TRIM_EVERY", 10**12)  # no trim in this count
    buffer = RequestLogBuffer()
    for _ in range(50):
        buffer.add(ScimRequest(tenant=tenant, method="GET", path="/x", status=200, duration_ms=1))

    with django_assert_num_queries(1):
        buffer.flush()


def test_a_scim_read_writes_nothing_in_the_request_when_buffered(scim_client, buffered_request_log):
    scim_client.get("/scim/v2/ServiceProviderConfig")
    scim_client.get("/scim/v2/ServiceProviderConfig")

    with CaptureQueriesContext(connection) as queries:
        response = scim_client.get("/scim/v2/Users")

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "audit_scimrequest" in q["sql"]]
    assert [row.path for row in buffered_request_log.rows][-1] == "/scim/v2/Users"


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_writes_buffered_rows_within_its_interval(settings, tenant, api_token):
    settings.SCIM_REQUEST_LOG_FLUSH_SECONDS = 0.1
    settings.SCIM_REQUEST_LOG_FLUSH_ROWS = 1  # wakes a writer still waiting out a longer interval
    token = api_token[0]

    record_scim_request(
        tenant_id=tenant.pk,
        token=token,
        method="GET",
        path="/scim/v2/Users",
        status=200,
        duration_ms=3,
    )

    deadline = time.monotonic() + 10
    while not ScimRequest.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    row = ScimRequest.objects.get()
    assert (row.tenant_id, row.token_id, row.path, row.duration_ms) == (
        tenant.pk,
        token.pk,
        "/scim/v2/Users",
        3,
    )
