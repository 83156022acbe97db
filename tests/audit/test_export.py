"""The Activity page's export and Django admin's: CSV and JSON Lines, streamed, filtered."""

import csv
import io
import json
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit import export
from apps.audit.models import AuditEvent
from apps.audit.services import record_event
from tests.factories import AgentFactory, GroupFactory


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def recorded_at(moment, **fields):
    """record_event() while the clock reads `moment` (the trail refuses later updates)."""
    with mock.patch.object(timezone, "now", return_value=moment):
        return record_event(**fields)


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).removeprefix("\ufeff"))))


def jsonl_rows(response) -> list[dict]:
    return [json.loads(line) for line in body(response).splitlines()]


@pytest.fixture
def renamed_agent(tenant, tenant_admin):
    agent = AgentFactory(tenant=tenant, display_name="Grace Hopper")
    recorded_at(
        datetime(2026, 11, 2, 9, tzinfo=UTC),
        tenant=tenant,
        actor=tenant_admin,
        action="user.updated",
        target=agent,
        changes={"role": ["end-user", "agent"]},
    )
    return agent


def test_csv_export_has_the_pages_sentence_and_the_raw_codes(admin_client, renamed_agent):
    response = admin_client.get(reverse("audit:export"), {"format": "csv"})

    (row,) = [r for r in csv_rows(response) if r["action"] == "user.updated"]
    assert row["what_happened"] == (
        "admin@my-tenant.example changed Grace Hopper's role from End-user to Agent."
    )
    assert row["changes_readable"] == "Role: End-user → Agent"
    assert row["target_id"] == str(renamed_agent.public_id)
    assert row["channel"] == "Settings UI"
    assert row["channel_code"] == "ui"
    assert json.loads(row["changes"]) == {"role": ["end-user", "agent"]}


def test_the_export_is_a_streamed_attachment(admin_client, renamed_agent):
    response = admin_client.get(reverse("audit:export"), {"format": "jsonl"})

    assert response.streaming
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="activity-my-tenant-')
    assert response["Content-Disposition"].endswith('.jsonl"')


def test_jsonl_export_keeps_the_changes_as_an_object(admin_client, renamed_agent):
    response = admin_client.get(reverse("audit:export"), {"format": "jsonl"})

    (row,) = [r for r in jsonl_rows(response) if r["action"] == "user.updated"]
    assert row["changes"] == {"role": ["end-user", "agent"]}
    assert row["time"] == "2026-11-02T09:00:00Z"
    assert row["account"] == "my-tenant"


def test_the_export_names_a_user_as_the_page_does_now(admin_client, renamed_agent):
    renamed_agent.display_name = "Grace B. Hopper"
    renamed_agent.save(update_fields=["display_name"])

    response = admin_client.get(
        reverse("audit:export"), {"format": "jsonl", "action": "user.updated"}
    )

    (row,) = jsonl_rows(response)
    assert row["what_happened"].endswith("changed Grace B. Hopper's role from End-user to Agent.")


def test_the_export_follows_the_pages_filters(admin_client, tenant, tenant_admin, renamed_agent):
    group = GroupFactory(tenant=tenant, display_name="Tier 2")
    recorded_at(
        datetime(2026, 11, 3, tzinfo=UTC),
        tenant=tenant,
        actor=tenant_admin,
        action="group.created",
        target=group,
    )

    response = admin_client.get(reverse("audit:export"), {"format": "csv", "target_type": "group"})

    assert [row["target_label"] for row in csv_rows(response)] == ["Tier 2"]


def test_the_date_range_includes_both_days(admin_client, tenant, tenant_admin):
    for day in (1, 2, 3, 4):
        recorded_at(
            datetime(2026, 10, day, 23, 59, tzinfo=UTC),
            tenant=tenant,
            actor=tenant_admin,
            action="group.created",
            target=GroupFactory(tenant=tenant, display_name=f"Day {day}"),
        )

    response = admin_client.get(
        reverse("audit:export"),
        {"format": "jsonl", "date_from": "2026-10-02", "date_to": "2026-10-03"},
    )

    assert [row["target_label"] for row in jsonl_rows(response)] == ["Day 3", "Day 2"]


def test_the_page_filters_on_the_date_range_too(admin_client, tenant, tenant_admin):
    for day in (1, 2):
        recorded_at(
            datetime(2026, 10, day, tzinfo=UTC),
            tenant=tenant,
            actor=tenant_admin,
            action="group.created",
            target=GroupFactory(tenant=tenant, display_name=f"Day {day}"),
        )

    response = admin_client.get(reverse("audit:list"), {"date_from": "2026-10-02"})

    assert [e.target_label for e in response.context["events"]] == ["Day 2"]


def test_an_end_date_before_the_start_date_is_refused_with_the_page(admin_client):
    response = admin_client.get(
        reverse("audit:export"),
        {"format": "csv", "date_from": "2026-10-03", "date_to": "2026-10-02"},
    )

    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_an_unknown_format_is_refused_with_the_page(admin_client):
    response = admin_client.get(reverse("audit:export"), {"format": "xlsx"})

    assert response.status_code == 400
    assert "Export as CSV or as JSON Lines." in response.content.decode()


def test_the_page_links_its_filters_to_the_export(admin_client):
    response = admin_client.get(reverse("audit:list"), {"channel": "scim", "older": "x"})

    page = response.content.decode()
    assert f'href="{reverse("audit:export")}?channel=scim&amp;format=csv"' in page
    assert f'href="{reverse("audit:export")}?channel=scim&amp;format=jsonl"' in page


def test_another_accounts_events_are_not_exported(admin_client, outsider, renamed_agent):
    recorded_at(
        datetime(2026, 11, 4, tzinfo=UTC),
        tenant=outsider.tenant,
        actor=outsider,
        action="user.updated",
        target=outsider,
        changes={"title": ["", "Spy"]},
    )

    response = admin_client.get(reverse("audit:export"), {"format": "jsonl"})

    assert {row["account"] for row in jsonl_rows(response)} == {"my-tenant"}


def test_an_agent_cannot_export(client, agent):
    client.force_login(agent)

    response = client.get(reverse("audit:export"), {"format": "csv"})

    assert response.status_code == 403


def test_a_csv_cell_never_starts_a_formula(admin_client, tenant, tenant_admin):
    group = GroupFactory(tenant=tenant, display_name='=HYPERLINK("http://evil.example")')
    record_event(tenant=tenant, actor=tenant_admin, action="group.created", target=group)

    response = admin_client.get(reverse("audit:export"), {"format": "csv", "target_type": "group"})

    (row,) = csv_rows(response)
    assert row["target_label"] == '\'=HYPERLINK("http://evil.example")'


def test_batches_cover_every_event_once_across_equal_times(tenant, tenant_admin):
    moment = datetime(2026, 9, 1, tzinfo=UTC)
    for _ in range(7):
        recorded_at(moment, tenant=tenant, actor=None, action="user.updated", target=tenant_admin)

    seen = [
        e.pk
        for batch in export.batches(AuditEvent.objects.for_tenant(tenant), size=3)
        for e in batch
    ]

    assert sorted(seen) == sorted(
        AuditEvent.objects.for_tenant(tenant).values_list("pk", flat=True)
    )
    assert len(seen) == len(set(seen))
