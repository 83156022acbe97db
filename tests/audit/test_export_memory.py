"""A million events leave the Activity page in constant memory (PostgreSQL, as in CI).

The rows are made by the database itself (INSERT … SELECT over generate_series: the
append-only trigger refuses only UPDATE and DELETE), then exported through the page's
export view; the process's peak resident memory (VmHWM, reset before each export) is
compared between 100,000 and 1,000,000 rows.
"""

import re
import time
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.postgres

ROWS = 1_000_000
SMALL = 100_000  # the newest rows, channel "ui"; the others are "scim"
# The peak may be this much higher for ten times the rows: allocator noise, not rows (a
# list of a million rows would take hundreds of MiB).
ALLOWED_GROWTH_KIB = 16 * 1024
INSERT = """
INSERT INTO audit_auditevent (created_at, tenant_id, channel, action, actor_type, actor_id,
    actor_label, target_type, target_id, target_label, changes)
SELECT %(start)s - make_interval(secs => i), %(tenant)s,
    CASE WHEN i <= %(small)s THEN 'ui' ELSE 'scim' END,
    'user.updated', 'token', '', 'API token cbx_…wxyz (Entra ID)', 'user',
    md5(i::text)::uuid::text, 'user' || i || '@contoso.com',
    '{"department": ["Sales", "Support"]}'::jsonb
FROM generate_series(1, %(rows)s) AS i
"""


def peak_rss_kib() -> int:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))


def reset_peak_rss() -> None:
    # Linux: writing 5 resets VmHWM to the current resident size.
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def export_and_measure(client, query: dict) -> tuple[int, int, float]:
    """(lines, the process's peak resident memory in KiB, seconds) of one streamed export."""
    reset_peak_rss()
    started = time.monotonic()
    response = client.get(reverse("audit:export"), query)
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    return lines, peak_rss_kib(), time.monotonic() - started


@pytest.fixture
def million_events(tenant):
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT,
            {
                "start": datetime(2026, 12, 1, tzinfo=UTC),
                "tenant": tenant.pk,
                "small": SMALL,
                "rows": ROWS,
            },
        )
        cursor.execute("ANALYZE audit_auditevent")
    return ROWS


def test_a_million_events_export_in_the_memory_of_a_hundred_thousand(
    client, tenant_admin, million_events
):
    client.force_login(tenant_admin)

    before = peak_rss_kib()
    small_lines, small_peak, small_seconds = export_and_measure(
        client, {"format": "jsonl", "channel": "ui"}
    )
    all_lines, all_peak, all_seconds = export_and_measure(client, {"format": "jsonl"})

    print(  # noqa: T201 - the figure the README quotes; shown with pytest -s
        f"\npeak RSS before: {before} KiB; 100,000 events: peak {small_peak} KiB "
        f"in {small_seconds:.1f} s; 1,000,000 events: peak {all_peak} KiB in {all_seconds:.1f} s"
    )
    assert small_lines == SMALL
    assert all_lines >= ROWS  # the tenant's own creation events too
    assert all_peak <= small_peak + ALLOWED_GROWTH_KIB
