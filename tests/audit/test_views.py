from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditAction, AuditEvent
from apps.audit.services import record_event
from apps.audit.templatetags.audit_tags import change_rows
from apps.audit.views import encode_cursor
from tests.factories import AgentFactory, GroupFactory

LIST_QUERY_BOUND = 9
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def make_events(tenant, count, *, start=0, spacing=1, **fields):
    """Audit rows `spacing` seconds apart (0: all at once), oldest first."""
    events = [
        AuditEvent(
            tenant=tenant,
            channel=fields.get("channel", "scim"),
            action=fields.get("action", "user.updated"),
            actor_type="token",
            actor_label="API token cbx_…wxyz (Entra ID)",
            target_type=fields.get("target_type", "user"),
            target_id=fields.get("target_id", f"00000000-0000-0000-0000-{start + i:012}"),
            target_label=fields.get("target_label", f"user{start + i}@example.com"),
            changes=fields.get("changes", {"department": ["Sales", "Support"]}),
        )
        for i in range(count)
    ]
    # auto_now_add stamps the current time and the trail refuses updates (in the database
    # too, on PostgreSQL), so each row is written while the clock reads its own time.
    for i, event in enumerate(events):
        with mock.patch.object(
            timezone, "now", return_value=START + timedelta(seconds=(start + i) * spacing)
        ):
            event.save()
    return list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id"))


def labels(response):
    return [e.target_label for e in response.context["events"]]


def test_agent_who_is_not_an_admin_gets_403(client, agent):
    client.force_login(agent)

    response = client.get(reverse("audit:list"))

    assert response.status_code == 403


def test_activity_shows_only_the_tenants_events_newest_first(admin_client, tenant, outsider):
    make_events(tenant, 3)
    make_events(outsider.tenant, 1, start=10, target_label="elsewhere")

    response = admin_client.get(reverse("audit:list"))

    assert labels(response) == ["user2@example.com", "user1@example.com", "user0@example.com"]


def test_activity_filters_by_channel(admin_client, tenant):
    make_events(tenant, 1, channel="scim", target_label="from entra")
    make_events(tenant, 1, start=1, channel="ui", target_label="from the page")

    response = admin_client.get(reverse("audit:list"), {"channel": "scim"})

    assert labels(response) == ["from entra"]


def test_activity_filters_by_action(admin_client, tenant):
    make_events(tenant, 1, action="group.created", target_label="Billing")
    make_events(tenant, 1, start=1, action="user.updated")

    response = admin_client.get(reverse("audit:list"), {"action": "group.created"})

    assert labels(response) == ["Billing"]


def test_activity_filters_by_target_type(admin_client, tenant):
    make_events(tenant, 1, target_type="group", target_label="Billing")
    make_events(tenant, 1, start=1, target_type="user")

    response = admin_client.get(reverse("audit:list"), {"target_type": "group"})

    assert labels(response) == ["Billing"]


def test_activity_filters_by_part_of_the_target_name_in_any_case(admin_client, tenant):
    make_events(tenant, 1, target_label="Jane.Doe@example.com")
    make_events(tenant, 1, start=1, target_label="kim@example.com")

    response = admin_client.get(reverse("audit:list"), {"target": "jane.DOE"})

    assert labels(response) == ["Jane.Doe@example.com"]


def test_activity_filters_by_exact_target_id(admin_client, tenant):
    wanted = "6f1c3a52-1b7e-4a47-9d0c-3f6c1b2a9e01"
    make_events(tenant, 1, target_id=wanted, target_label="renamed since")
    make_events(tenant, 1, start=1)

    response = admin_client.get(reverse("audit:list"), {"target": wanted.upper()})

    assert labels(response) == ["renamed since"]


def test_first_page_holds_fifty_events_and_links_to_older_ones(admin_client, tenant):
    events = make_events(tenant, 51)

    response = admin_client.get(reverse("audit:list"))

    assert len(response.context["events"]) == 50
    assert response.context["older_cursor"] == encode_cursor(events[1])
    assert response.context["has_newer"] is False


def test_older_page_continues_where_the_first_ended(admin_client, tenant):
    events = make_events(tenant, 51)

    response = admin_client.get(reverse("audit:list"), {"older": encode_cursor(events[1])})

    assert labels(response) == [events[0].target_label]
    assert response.context["older_cursor"] == ""
    assert response.context["newer_cursor"] == encode_cursor(events[0])


def test_newer_page_goes_back_to_the_newest_events(admin_client, tenant):
    events = make_events(tenant, 51)

    response = admin_client.get(reverse("audit:list"), {"newer": encode_cursor(events[0])})

    assert labels(response) == [e.target_label for e in reversed(events[1:])]
    assert response.context["has_newer"] is False


def test_events_at_the_same_moment_are_neither_skipped_nor_repeated(admin_client, tenant):
    events = make_events(tenant, 55, spacing=0)

    first = admin_client.get(reverse("audit:list"))
    second = admin_client.get(reverse("audit:list"), {"older": first.context["older_cursor"]})

    seen = [e.pk for e in first.context["events"]] + [e.pk for e in second.context["events"]]
    assert seen == [e.pk for e in reversed(events)]


def test_a_malformed_cursor_shows_the_newest_events(admin_client, tenant):
    make_events(tenant, 2)

    response = admin_client.get(reverse("audit:list"), {"older": "yesterday"})

    assert labels(response) == ["user1@example.com", "user0@example.com"]


def test_a_cursor_beyond_any_id_shows_the_newest_events(admin_client, tenant):
    make_events(tenant, 1)

    response = admin_client.get(
        reverse("audit:list"), {"older": "20260101T000000.000000_99999999999999999999"}
    )

    assert labels(response) == ["user0@example.com"]


def test_activity_never_counts_the_whole_trail(admin_client, tenant):
    make_events(tenant, 3)

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(reverse("audit:list"))

    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_activity_query_count_does_not_grow_with_the_number_of_events(admin_client, tenant):
    make_events(tenant, 10)
    with CaptureQueriesContext(connection) as ten:
        admin_client.get(reverse("audit:list"))
    make_events(tenant, 90, start=10)

    with CaptureQueriesContext(connection) as hundred:
        response = admin_client.get(reverse("audit:list"))

    assert len(response.context["events"]) == 50
    assert len(hundred) == len(ten) <= LIST_QUERY_BOUND


def test_activity_links_to_a_group_that_still_exists(admin_client, tenant, tenant_admin):
    group = GroupFactory(tenant=tenant, display_name="Billing")
    record_event(tenant=tenant, actor=tenant_admin, action="group.created", target=group)

    response = admin_client.get(reverse("audit:list"))

    assert reverse("groups:detail", args=[group.public_id]) in response.content.decode()


def test_activity_shows_an_entra_change_as_before_and_after(admin_client, tenant):
    make_events(tenant, 1)

    body = admin_client.get(reverse("audit:list")).content.decode()

    assert "<del>Sales</del> → <ins>Support</ins>" in body


def test_change_rows_render_pairs_lists_and_multi_valued_attributes_readably():
    rows = change_rows(
        {
            "is_active": [True, False],
            "emails": [[], [{"value": "a@example.com", "type": "work", "primary": True}]],
            "groups": ["Billing", "Support"],
        }
    )

    assert rows == [
        {"field": "is_active", "before": "yes", "after": "no", "is_change": True},
        {
            "field": "emails",
            "before": "(empty)",
            "after": "a@example.com (work, primary)",
            "is_change": True,
        },
        {"field": "groups", "value": "Billing; Support", "is_change": False},
    ]


def test_action_filter_offers_every_audited_action(admin_client):
    response = admin_client.get(reverse("audit:list"))

    offered = {value for value, _label in response.context["form"].fields["action"].choices}
    assert offered == {"", *AuditAction.values}
    assert {"tenant.created", "staff.updated", "directory.seeded"} <= offered


def test_unknown_action_in_the_filter_shows_every_event(admin_client, tenant):
    make_events(tenant, 2)

    response = admin_client.get(reverse("audit:list"), {"action": "no.such_action"})

    assert response.status_code == 200
    assert len(response.context["events"]) == 2


def test_activity_tells_a_role_change_as_a_sentence_with_the_users_current_name(
    admin_client, tenant
):
    grace = AgentFactory(tenant=tenant, user_name="grace@contoso.com", display_name="Grace Hopper")
    make_events(
        tenant,
        1,
        target_id=str(grace.public_id),
        target_label="grace@contoso.com",
        changes={"role": ["end-user", "agent"]},
    )

    body = admin_client.get(reverse("audit:list")).content.decode()

    link = reverse("users:detail", args=[grace.public_id])
    assert (
        f'Entra changed <a href="{link}">Grace Hopper</a>&#x27;s role from End-user to Agent.'
        in body
    )


def test_activity_keeps_the_raw_codes_one_click_away(admin_client, tenant):
    make_events(tenant, 1)

    body = admin_client.get(reverse("audit:list")).content.decode()

    assert "<summary>Codes</summary>" in body
    assert "<code>user.updated</code>" in body
    assert "API token cbx_…wxyz (Entra ID)" in body


def test_a_refusal_reason_with_its_own_full_stop_gets_no_second_one(client, tenant, tenant_admin):
    AuditEvent.objects.create(
        tenant=tenant,
        channel="sso",
        action="sso.refused",
        target_type="ssosettings",
        target_id="00000000-0000-0000-0000-000000000000",
        target_label="SSO",
        actor_type="idp",
        actor_label="identity provider sts.windows.net",
        changes={"subject": "grace@contoso.com", "check": "user", "reason": "Deactivated."},
    )
    client.force_login(tenant_admin)

    page = client.get(reverse("audit:list")).content.decode()

    assert "was refused: Deactivated.</p>" in page
