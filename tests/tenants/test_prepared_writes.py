"""Prepared writes (PostgreSQL): the rows they write are the rows the ORM writes."""

import pytest
from django.db.models import F

from apps.audit.models import AuditEvent
from apps.audit.services import build_event
from apps.tenants.prepared_writes import insert_new, is_prepared, update_if_version
from apps.tenants.scoping import save_with_version
from apps.users.models import User
from tests.factories import AgentFactory, CustomRoleFactory, UserFactory

pytestmark = pytest.mark.postgres


def test_postgresql_writes_take_the_prepared_statements(db):
    assert is_prepared(AuditEvent)


def test_an_inserted_event_reads_back_as_the_orm_would_have_saved_it(tenant):
    user = UserFactory(tenant=tenant)
    event = build_event(
        tenant=tenant, actor=None, action="user.updated", target=user, changes={"a": [1, 2]}
    )

    insert_new(event)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.target_id, stored.changes) == (
        "user.updated",
        str(user.public_id),
        {"a": [1, 2]},
    )
    assert stored.created_at is not None


def test_an_update_with_the_current_version_writes_values_and_rows(tenant):
    user = AgentFactory(tenant=tenant, version=3)
    manager = UserFactory(tenant=tenant)
    role = CustomRoleFactory(tenant=tenant)

    written = update_if_version(
        user,
        {"given_name": "Ann", "manager": manager, "custom_role": role, "addresses": [{"a": 1}]},
        4,
    )

    stored = User.objects.get(pk=user.pk)
    assert written
    assert (stored.given_name, stored.manager_id, stored.custom_role_id, stored.version) == (
        "Ann",
        manager.pk,
        role.pk,
        4,
    )
    assert stored.addresses == [{"a": 1}]


def test_an_update_with_a_stale_version_writes_nothing(tenant):
    user = UserFactory(tenant=tenant, given_name="Before", version=3)
    User.objects.filter(pk=user.pk).update(version=F("version") + 1)

    written = update_if_version(user, {"given_name": "After"}, 4)

    assert not written
    assert User.objects.values_list("given_name", "version").get(pk=user.pk) == ("Before", 4)


def test_save_with_version_counts_on_from_the_stored_version_after_another_change(tenant):
    user = UserFactory(tenant=tenant, version=3)
    User.objects.filter(pk=user.pk).update(version=F("version") + 1)

    save_with_version(user, {"given_name": "After"})

    assert (user.version, User.objects.get(pk=user.pk).given_name) == (5, "After")
