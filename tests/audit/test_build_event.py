"""build_event() makes complete events: no caller patches one afterwards."""

import pytest

from apps.audit.models import AuditAction, AuditEvent, Channel
from apps.audit.services import build_event, record_event


def test_event_caused_by_the_identity_provider_is_built_complete(tenant):
    event = build_event(
        tenant=tenant,
        actor=None,
        actor_type="idp",
        actor_label="identity provider sts.windows.net",
        action=AuditAction.SSO_REFUSED,
        target=tenant,
        channel=Channel.SSO,
    )

    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "idp",
        "",
        "identity provider sts.windows.net",
    )


def test_recorded_event_keeps_the_actor_type_it_was_given(tenant):
    record_event(
        tenant=tenant,
        actor=None,
        actor_type="idp",
        actor_label="identity provider sts.windows.net",
        action=AuditAction.SSO_REFUSED,
        target=tenant,
        channel=Channel.SSO,
    )

    assert AuditEvent.objects.for_tenant(tenant).get().actor_type == "idp"


def test_actor_type_cannot_rename_a_user_actor(tenant, tenant_admin):
    with pytest.raises(ValueError):
        build_event(
            tenant=tenant,
            actor=tenant_admin,
            actor_type="idp",
            action=AuditAction.SSO_REFUSED,
            target=tenant,
        )


def test_event_without_an_actor_type_is_a_management_command(tenant):
    event = build_event(tenant=tenant, actor=None, action=AuditAction.SSO_OPTIONS, target=tenant)

    assert event.actor_type == "system"
