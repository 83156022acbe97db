from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone

from apps.audit.models import AuditEvent, Channel
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.tokens.secrets import PREFIX, digest_of
from apps.tokens.services import (
    create_token,
    discard_token,
    generate_token,
    get_token_for,
    revoke_token,
    save_token,
    set_provisioning_role,
    set_token_access,
)
from tests.factories import ApiTokenFactory


def _all_column_values(queryset) -> list[str]:
    return [str(value) for row in queryset.values() for value in row.values()]


def test_created_token_is_stored_as_prefix_last_four_and_digest(tenant, tenant_admin):
    token, secret = create_token(tenant=tenant, actor=tenant_admin, description="Entra ID")

    token.refresh_from_db()
    assert token.prefix == secret[:8]
    assert token.last_four == secret[-4:]
    assert token.digest == digest_of(secret)
    assert token.created_by == tenant_admin


def test_database_holds_no_token_text(tenant, tenant_admin):
    _token, secret = create_token(tenant=tenant, actor=tenant_admin, description="Entra ID")
    random_middle = secret[8:-4]

    values = _all_column_values(ApiToken.objects.all()) + _all_column_values(
        AuditEvent.objects.all()
    )

    assert values
    assert not [value for value in values if secret in value or random_middle in value]


def test_truncated_form_shows_only_prefix_and_last_four(tenant, tenant_admin):
    token, secret = create_token(tenant=tenant, actor=tenant_admin, description="Entra ID")

    assert token.truncated == f"{secret[:8]}…{secret[-4:]}"
    assert token.truncated.startswith(PREFIX)
    assert secret[8:-4] not in token.truncated


def test_creating_a_token_is_audited_without_the_secret(tenant, tenant_admin):
    token, secret = create_token(tenant=tenant, actor=tenant_admin, description="Entra ID")

    event = AuditEvent.objects.get(action="token.created")
    assert event.tenant == tenant
    assert event.channel == Channel.UI
    assert event.target_id == str(token.public_id)
    assert event.changes["truncated"] == [None, token.truncated]
    assert secret not in str(model_to_dict(event))


def test_description_is_required(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_token(tenant=tenant, actor=tenant_admin, description="   ")

    assert error.value.code == "required"
    assert not ApiToken.objects.exists()


def test_description_longer_than_100_characters_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError):
        create_token(tenant=tenant, actor=tenant_admin, description="x" * 101)

    assert not ApiToken.objects.exists()


def test_second_create_with_the_same_nonce_creates_nothing(tenant, tenant_admin):
    nonce = "n" * 43
    create_token(tenant=tenant, actor=tenant_admin, description="Entra ID", nonce=nonce)

    with pytest.raises(ValidationError) as error:
        create_token(tenant=tenant, actor=tenant_admin, description="Entra ID", nonce=nonce)

    assert error.value.code == "duplicate"
    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(action="token.created").count() == 1


def test_tokens_without_a_nonce_can_be_created_repeatedly(tenant, tenant_admin):
    create_token(tenant=tenant, actor=None, description="One")
    create_token(tenant=tenant, actor=None, description="Two")

    assert ApiToken.objects.count() == 2


def test_revoking_keeps_the_row_and_sets_revoked_at(tenant, tenant_admin, api_token):
    token, _secret = api_token

    revoke_token(tenant=tenant, actor=tenant_admin, token=token)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.is_revoked
    assert not ApiToken.objects.active().exists()
    assert AuditEvent.objects.filter(action="token.revoked", target_id=str(token.public_id))


def test_revoking_twice_writes_one_audit_row(tenant, tenant_admin, api_token):
    token, _secret = api_token

    revoke_token(tenant=tenant, actor=tenant_admin, token=token)
    revoke_token(tenant=tenant, actor=tenant_admin, token=token)

    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_another_tenants_token_cannot_be_revoked(tenant, tenant_admin, outsider):
    foreign = ApiTokenFactory(tenant=outsider.tenant)

    with pytest.raises(Http404):
        revoke_token(tenant=tenant, actor=tenant_admin, token=foreign)

    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_get_token_for_answers_404_for_another_tenants_token(tenant, outsider):
    foreign = ApiTokenFactory(tenant=outsider.tenant)

    with pytest.raises(Http404):
        get_token_for(tenant, foreign.public_id)


def tenant_events(tenant):
    return AuditEvent.objects.for_tenant(tenant).filter(action__startswith="tenant.")


def test_switching_token_access_off_is_audited(tenant, tenant_admin):
    set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    assert Tenant.objects.get(pk=tenant.pk).token_access_enabled_at is None
    event = tenant_events(tenant).get()
    assert (event.action, event.channel) == ("tenant.token_access", "ui")
    assert event.changes == {"token_access": [True, False]}


def test_switching_token_access_on_is_audited(tenant, tenant_admin):
    set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    set_token_access(tenant=tenant, actor=tenant_admin, enabled=True)

    assert Tenant.objects.get(pk=tenant.pk).has_token_access
    changes = [e.changes for e in tenant_events(tenant).order_by("id")]
    assert changes == [{"token_access": [True, False]}, {"token_access": [False, True]}]


def test_token_access_switched_to_its_current_state_writes_nothing(tenant, tenant_admin):
    set_token_access(tenant=tenant, actor=tenant_admin, enabled=True)

    assert not tenant_events(tenant).exists()


def test_provisioning_role_change_is_audited(tenant, tenant_admin):
    set_provisioning_role(tenant=tenant, actor=tenant_admin, role="end-user")

    assert Tenant.objects.get(pk=tenant.pk).provisioning_role == "end-user"
    event = tenant_events(tenant).get()
    assert event.action == "tenant.provisioning_role"
    assert event.changes == {"provisioning_role": ["agent", "end-user"]}


def test_provisioning_role_set_to_its_current_value_writes_nothing(tenant, tenant_admin):
    set_provisioning_role(tenant=tenant, actor=tenant_admin, role="agent")

    assert not tenant_events(tenant).exists()


@pytest.mark.parametrize("role", ["admin", "owner", ""])
def test_provisioning_role_cannot_be_admin_or_unknown(tenant, tenant_admin, role):
    with pytest.raises(ValidationError):
        set_provisioning_role(tenant=tenant, actor=tenant_admin, role=role)

    assert Tenant.objects.get(pk=tenant.pk).provisioning_role == "agent"
    assert not tenant_events(tenant).exists()


def test_generated_token_is_unsaved_and_unusable(tenant, tenant_admin):
    token, _secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)

    assert not token.is_saved
    assert not token.is_active
    assert not AuditEvent.objects.filter(action="token.created").exists()


def test_saving_a_generated_token_makes_it_active_and_audits_it(tenant, tenant_admin):
    token, _secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)

    save_token(tenant=tenant, actor=tenant_admin, token=token, description="  Entra   ID ")

    token.refresh_from_db()
    assert token.description == "Entra ID"
    assert token.is_active
    assert AuditEvent.objects.get(action="token.created").target_id == str(token.public_id)


def test_a_token_is_saved_only_once(tenant, tenant_admin):
    token, _secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)
    save_token(tenant=tenant, actor=tenant_admin, token=token, description="First")

    with pytest.raises(ValidationError) as error:
        save_token(tenant=tenant, actor=tenant_admin, token=token, description="Second")

    assert error.value.code == "saved"


def test_generating_deletes_unsaved_tokens_older_than_an_hour(tenant, tenant_admin):
    old, _secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="o" * 43)
    ApiToken.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))

    generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)

    assert not ApiToken.objects.filter(pk=old.pk).exists()
    assert ApiToken.objects.count() == 1


def test_discarding_keeps_saved_tokens(tenant, tenant_admin, api_token):
    assert discard_token(tenant=tenant, token=api_token[0]) is False
    assert ApiToken.objects.filter(pk=api_token[0].pk).exists()


def test_create_token_stores_the_creators_user_name(tenant, tenant_admin):
    token, _secret = create_token(tenant=tenant, actor=tenant_admin, description="Entra ID")

    assert token.created_by_name == tenant_admin.user_name
