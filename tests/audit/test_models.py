import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AppendOnlyError, AuditEvent
from apps.audit.services import record_event
from tests.factories import TenantFactory


@pytest.fixture
def event(tenant, tenant_admin):
    return record_event(
        tenant=tenant,
        actor=tenant_admin,
        action="user.updated",
        target=tenant_admin,
        changes={"title": ["", "Engineer"]},
    )


def test_saved_event_cannot_be_saved_again(event):
    event.action = "user.deleted"

    with pytest.raises(AppendOnlyError):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"


def test_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="user.deleted")

    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"


def test_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_changed_with_bulk_update(event):
    event.action = "user.deleted"

    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])

    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"


def test_events_survive_the_deletion_of_their_tenant(tenant_admin):
    other = TenantFactory()
    event = record_event(tenant=other, actor=None, action="tenant.created", target=other)

    other.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_are_listed_newest_first(tenant, tenant_admin):
    first = record_event(tenant=tenant, actor=None, action="user.created", target=tenant_admin)
    second = record_event(tenant=tenant, actor=None, action="user.updated", target=tenant_admin)

    assert list(AuditEvent.objects.for_tenant(tenant)) == [second, first]


def test_events_of_a_target_are_found_by_its_public_id(tenant, tenant_admin, agent):
    mine = record_event(tenant=tenant, actor=None, action="user.updated", target=agent)
    record_event(tenant=tenant, actor=None, action="user.updated", target=tenant_admin)

    assert list(AuditEvent.objects.for_target(agent)) == [mine]


@pytest.mark.postgres
def test_base_manager_update_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent._base_manager.filter(pk=event.pk).update(action="user.deleted")

    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"


@pytest.mark.postgres
def test_raw_sql_update_is_refused_by_the_database(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"


@pytest.mark.postgres
def test_raw_sql_delete_is_refused_by_the_database(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_the_database_still_takes_new_rows(event, tenant, tenant_admin):
    record_event(tenant=tenant, actor=tenant_admin, action="user.deleted", target=tenant_admin)

    assert AuditEvent.objects.count() == 2
