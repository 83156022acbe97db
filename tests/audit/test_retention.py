"""Retention: prune_audit deletes old events through the one path the trail allows."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit import retention
from apps.audit.models import AuditEvent, ScimRequest
from apps.audit.services import prune_audit_trail, record_event

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def at(moment, make, **fields):
    """Call make(**fields) while the clock reads `moment` (auto_now_add stamps it)."""
    with mock.patch.object(timezone, "now", return_value=moment):
        return make(**fields)


@pytest.fixture
def old_and_new(tenant, tenant_admin):
    """An event of 400 days ago and one of 10 days ago, in the tenant."""
    old = at(
        NOW - timedelta(days=400),
        record_event,
        tenant=tenant,
        actor=None,
        action="user.updated",
        target=tenant_admin,
    )
    new = at(
        NOW - timedelta(days=10),
        record_event,
        tenant=tenant,
        actor=None,
        action="user.updated",
        target=tenant_admin,
    )
    return old, new


def prune(days=365, scim_days=30):
    return prune_audit_trail(
        actor=None, now=NOW, retention_days=days, scim_retention_days=scim_days
    )


def test_events_older_than_the_retention_are_deleted_and_newer_ones_kept(old_and_new):
    old, new = old_and_new

    result = prune(days=365)

    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=new.pk).exists()
    assert result.events_deleted == 1


def test_without_a_retention_no_event_is_deleted(old_and_new):
    old, _new = old_and_new

    result = prune(days=None)

    assert AuditEvent.objects.filter(pk=old.pk).exists()
    assert result.events_deleted == 0


def test_the_run_is_recorded_in_the_trail_and_in_the_account(tenant, old_and_new):
    prune(days=365)

    platform = AuditEvent.objects.get(action="audit.pruned", tenant=None)
    account = AuditEvent.objects.get(action="audit.pruned", tenant=tenant)
    assert platform.changes["events_deleted"] == 1
    assert platform.changes["retention_days"] == 365
    assert account.changes["events_deleted"] == 1
    assert account.target_id == str(tenant.public_id)


def test_a_second_run_deletes_nothing_more(old_and_new):
    prune(days=365)
    left = set(AuditEvent.objects.values_list("pk", flat=True))

    result = prune(days=365)

    assert result.events_deleted == 0
    assert left <= set(AuditEvent.objects.values_list("pk", flat=True))


def test_events_are_deleted_in_batches_until_none_is_left(tenant, tenant_admin):
    for _ in range(7):
        at(
            NOW - timedelta(days=400),
            record_event,
            tenant=tenant,
            actor=None,
            action="user.updated",
            target=tenant_admin,
        )

    deleted = retention.delete_events_before(NOW - timedelta(days=365), batch_size=3)

    assert deleted[tenant.pk] == 7
    assert not AuditEvent.objects.filter(created_at__lt=NOW - timedelta(days=365)).exists()


def test_scim_request_log_rows_have_their_own_retention(tenant, old_and_new):
    old_request, new_request = (
        at(
            NOW - timedelta(days=days),
            ScimRequest.objects.create,
            tenant=tenant,
            method="GET",
            path="/scim/v2/Users",
            status=200,
            duration_ms=3,
        )
        for days in (31, 29)
    )

    result = prune(days=None, scim_days=30)

    assert list(ScimRequest.objects.all()) == [new_request]
    assert result.scim_requests_deleted == 1
    assert AuditEvent.objects.filter(pk=old_and_new[0].pk).exists()


def test_the_sentence_says_what_the_run_removed(old_and_new):
    from apps.audit.wording import sentence

    prune(days=365)

    event = AuditEvent.objects.get(action="audit.pruned", tenant=None)
    assert str(sentence(event)) == (
        "A management command removed 1 activity event older than 365 days, "
        "and 0 SCIM request log rows"
    )


def test_the_command_uses_the_setting_and_prints_what_it_did(settings, old_and_new):
    settings.AUDIT_RETENTION_DAYS = 365
    out = StringIO()

    call_command("prune_audit", stdout=out)

    assert "Audit events: deleted 1 created before" in out.getvalue()
    assert not AuditEvent.objects.filter(pk=old_and_new[0].pk).exists()


def test_the_command_keeps_events_forever_by_default(settings, old_and_new):
    settings.AUDIT_RETENTION_DAYS = None
    out = StringIO()

    call_command("prune_audit", stdout=out)

    assert "kept forever" in out.getvalue()
    assert AuditEvent.objects.filter(pk=old_and_new[0].pk).exists()


def test_the_command_refuses_zero_days(old_and_new):
    with pytest.raises(CommandError, match="Keep at least 1 day."):
        call_command("prune_audit", "--days", "0")


# PostgreSQL: the append-only trigger is in place.


@pytest.mark.postgres
def test_pruning_passes_the_append_only_trigger(old_and_new):
    old, _new = old_and_new

    prune(days=365)

    assert not AuditEvent.objects.filter(pk=old.pk).exists()


@pytest.mark.postgres
def test_an_ordinary_delete_after_a_prune_is_still_refused(old_and_new):
    prune(days=None)
    prune(days=365)
    _old, new = old_and_new

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [new.pk])

    assert AuditEvent.objects.filter(pk=new.pk).exists()


@pytest.mark.postgres
def test_the_prune_setting_does_not_let_a_newer_row_go(old_and_new):
    _old, new = old_and_new

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT set_config(%s, %s, true)",
            [retention.PRUNE_SETTING, (NOW - timedelta(days=365)).isoformat()],
        )
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [new.pk])

    assert AuditEvent.objects.filter(pk=new.pk).exists()


@pytest.mark.postgres
def test_the_prune_setting_never_allows_an_update(old_and_new):
    old, _new = old_and_new

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [retention.PRUNE_SETTING, NOW.isoformat()]
        )
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [old.pk])

    assert AuditEvent.objects.get(pk=old.pk).action == "user.updated"
