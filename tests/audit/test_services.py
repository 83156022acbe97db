import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.audit.models import AuditEvent, Channel
from apps.audit.services import channel_of, record_event
from apps.tokens.models import ApiToken
from apps.tokens.services import create_token, revoke_token
from apps.users.services import set_password, update_user
from tests.factories import ApiTokenFactory


def all_audit_text() -> str:
    """Every column of every audit row, as one string to search for secrets."""
    return json.dumps(
        list(
            AuditEvent.objects.values(
                "actor_id", "actor_label", "target_id", "target_label", "action", "changes"
            )
        )
    )


# Channel and actor


def test_command_actor_is_the_command_channel():
    assert channel_of(None) == Channel.COMMAND


def test_api_token_actor_is_the_scim_channel(api_token):
    assert channel_of(api_token[0]) == Channel.SCIM


def test_tenant_user_actor_is_the_ui_channel(tenant_admin):
    assert channel_of(tenant_admin) == Channel.UI


def test_staff_actor_is_the_admin_channel(staff):
    assert channel_of(staff) == Channel.ADMIN


def test_event_by_a_tenant_admin_names_them(tenant, tenant_admin, agent):
    event = record_event(tenant=tenant, actor=tenant_admin, action="user.updated", target=agent)

    assert (event.channel, event.actor_type) == ("ui", "user")
    assert (event.actor_id, event.actor_label) == (
        str(tenant_admin.public_id),
        "admin@my-tenant.example",
    )
    assert (event.target_type, event.target_id) == ("user", str(agent.public_id))
    assert event.target_label == agent.user_name


def test_event_by_staff_names_the_staff_account(tenant, staff, agent):
    event = record_event(tenant=tenant, actor=staff, action="user.updated", target=agent)

    assert (event.channel, event.actor_type, event.actor_label) == (
        "admin",
        "staff",
        staff.user_name,
    )


def test_event_by_a_token_names_the_token_but_not_its_secret(tenant, api_token, agent):
    token, secret = api_token

    event = record_event(tenant=tenant, actor=token, action="user.updated", target=agent)

    assert (event.channel, event.actor_type) == ("scim", "token")
    assert event.actor_id == str(token.public_id)
    assert "Entra ID" in event.actor_label
    assert secret not in all_audit_text()


def test_event_by_a_command_has_no_actor(tenant, agent):
    event = record_event(tenant=tenant, actor=None, action="user.updated", target=agent)

    assert (event.channel, event.actor_type, event.actor_id) == ("command", "system", "")


def test_secret_fields_never_reach_the_trail(tenant, agent):
    event = record_event(
        tenant=tenant,
        actor=None,
        action="user.updated",
        target=agent,
        changes={"password": "hunter2", "digest": "ab" * 32, "secret": "s", "title": ["", "x"]},
    )

    assert AuditEvent.objects.get(pk=event.pk).changes == {"title": ["", "x"]}


def test_event_is_rolled_back_with_its_change(tenant, tenant_admin, agent):
    with pytest.raises(RuntimeError), transaction.atomic():
        update_user(tenant=tenant, actor=tenant_admin, user=agent, attributes={"title": "Boss"})
        raise RuntimeError("the request failed after the change")

    assert not AuditEvent.objects.filter(action="user.updated").exists()


# Tokens and passwords


def test_created_token_is_audited_without_its_secret(tenant, tenant_admin):
    token, secret = create_token(
        tenant=tenant, actor=tenant_admin, description="Entra provisioning"
    )

    event = AuditEvent.objects.get(action="token.created")
    assert (event.target_id, event.channel) == (str(token.public_id), "ui")
    assert event.changes["description"] == [None, "Entra provisioning"]
    assert secret not in all_audit_text()
    assert token.digest not in all_audit_text()


def test_revoked_token_is_audited_once(tenant, tenant_admin):
    token = ApiTokenFactory(tenant=tenant)

    revoke_token(tenant=tenant, actor=tenant_admin, token=token)
    revoke_token(tenant=tenant, actor=tenant_admin, token=token)

    event = AuditEvent.objects.get(action="token.revoked")
    assert event.target_id == str(token.public_id)
    assert ApiToken.objects.get(pk=token.pk).is_revoked


def test_refused_token_writes_no_audit_row(tenant, tenant_admin):
    with pytest.raises(ValidationError):
        create_token(tenant=tenant, actor=tenant_admin, description="   ")

    assert not AuditEvent.objects.exists()


def test_changes_made_through_a_token_are_scim_events(tenant, api_token, agent):
    update_user(tenant=tenant, actor=api_token[0], user=agent, attributes={"title": "Lead"})

    event = AuditEvent.objects.get(action="user.updated")
    assert (event.channel, event.actor_id) == ("scim", str(api_token[0].public_id))


def test_changes_made_by_staff_are_admin_events(tenant, staff, agent):
    update_user(tenant=tenant, actor=staff, user=agent, attributes={"title": "Lead"})

    assert AuditEvent.objects.get(action="user.updated").channel == "admin"


def test_password_text_never_reaches_the_trail(tenant, tenant_admin, agent):
    password = "Blue-Whale-42-unique-text"

    set_password(tenant=tenant, actor=tenant_admin, user=agent, password=password)

    assert AuditEvent.objects.filter(action="user.password_set").count() == 1
    assert password not in all_audit_text()
    agent.refresh_from_db()
    assert agent.password not in all_audit_text()
