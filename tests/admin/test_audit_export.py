"""Django admin's export of the audit trail: the changelist's rows, for support staff."""

import csv
import io
import json

import pytest
from django.urls import reverse

from apps.audit.services import record_event
from tests.factories import AgentFactory, StaffFactory


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).removeprefix("\ufeff"))))


def jsonl_rows(response) -> list[dict]:
    return [json.loads(line) for line in body(response).splitlines()]


@pytest.fixture
def renamed_agent(tenant, tenant_admin):
    agent = AgentFactory(tenant=tenant, display_name="Grace Hopper")
    record_event(
        tenant=tenant,
        actor=tenant_admin,
        action="user.updated",
        target=agent,
        changes={"role": ["end-user", "agent"]},
    )
    return agent


def test_support_staff_export_the_admins_filtered_rows_across_accounts(
    client, support_member, renamed_agent, outsider
):
    record_event(tenant=outsider.tenant, actor=None, action="user.updated", target=outsider)
    client.force_login(support_member)

    response = client.get(
        reverse("admin:audit_auditevent_export", kwargs={"file_format": "jsonl"}),
        {"action_family": "user."},
    )

    rows = jsonl_rows(response)
    assert {row["account"] for row in rows} == {"my-tenant", "other-tenant"}
    assert {row["action"] for row in rows} <= {"user.updated", "user.created"}


def test_the_admin_export_follows_the_tenant_filter(
    client, support_member, renamed_agent, outsider
):
    record_event(tenant=outsider.tenant, actor=None, action="user.updated", target=outsider)
    client.force_login(support_member)

    response = client.get(
        reverse("admin:audit_auditevent_export", kwargs={"file_format": "csv"}),
        {"tenant__id__exact": renamed_agent.tenant_id},
    )

    assert {row["account"] for row in csv_rows(response)} == {"my-tenant"}


def test_the_admin_changelist_links_to_the_export_with_its_filters(client, support_member):
    client.force_login(support_member)

    response = client.get(reverse("admin:audit_auditevent_changelist"), {"channel__exact": "scim"})

    url = reverse("admin:audit_auditevent_export", kwargs={"file_format": "csv"})
    assert f'href="{url}?channel__exact=scim"' in response.content.decode()


def test_staff_without_view_permission_cannot_export(client, db):
    client.force_login(StaffFactory(user_name="no-permissions"))

    response = client.get(reverse("admin:audit_auditevent_export", kwargs={"file_format": "csv"}))

    assert response.status_code == 403
