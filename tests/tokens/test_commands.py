from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent, Channel
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.tokens.secrets import digest_of, is_well_formed


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def error_of(*args) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    return str(error.value)


def test_create_api_token_prints_the_token_alone(tenant):
    out, _err = run("create_api_token", "my-tenant", "--description", "Entra ID")

    secret = out.strip()
    token = ApiToken.objects.get()
    assert out == secret + "\n"
    assert is_well_formed(secret)
    assert token.digest == digest_of(secret)
    assert token.description == "Entra ID"
    assert token.created_by is None


def test_create_api_token_is_audited_as_a_command(tenant):
    run("create_api_token", "my-tenant", "--description", "Entra ID")

    assert AuditEvent.objects.get(action="token.created").channel == Channel.COMMAND


def test_create_api_token_names_the_creator(tenant, tenant_admin):
    run(
        "create_api_token",
        "my-tenant",
        "--description",
        "Entra ID",
        "--created-by",
        tenant_admin.user_name.upper(),
    )

    assert ApiToken.objects.get().created_by == tenant_admin


def test_create_api_token_refuses_an_unknown_tenant(db):
    message = error_of("create_api_token", "nobody", "--description", "Entra ID")

    assert 'No tenant has the subdomain "nobody"' in message
    assert not ApiToken.objects.exists()


def test_create_api_token_refuses_an_unknown_creator(tenant, outsider):
    message = error_of(
        "create_api_token",
        "my-tenant",
        "--description",
        "Entra ID",
        "--created-by",
        outsider.user_name,
    )

    assert "No user" in message
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("description", ["", "   ", "x" * 101])
def test_create_api_token_refuses_a_bad_description(tenant, description):
    message = error_of("create_api_token", "my-tenant", "--description", description)

    assert "description" in message
    assert "\n" not in message
    assert not ApiToken.objects.exists()


def test_create_api_token_needs_a_description(tenant):
    message = error_of("create_api_token", "my-tenant")

    assert "--description" in message


def test_create_api_token_notes_on_stderr_when_token_access_is_off(tenant):
    type(tenant).objects.filter(pk=tenant.pk).update(token_access_enabled_at=None)

    out, err = run("create_api_token", "my-tenant", "--description", "Entra ID")

    assert "Token Access is off" in err
    assert len(out.split()) == 1


def test_bad_input_exits_non_zero_with_one_line(db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(
            ["manage.py", "create_api_token", "nobody", "--description", "x"]
        ).execute()

    err = capsys.readouterr().err
    assert exit_info.value.code != 0
    assert err.strip().splitlines()[-1] == 'CommandError: No tenant has the subdomain "nobody".'


def test_token_access_on_and_off(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(token_access_enabled_at=None)

    on, _err = run("token_access", "my-tenant", "on")
    tenant.refresh_from_db()
    assert tenant.has_token_access

    off, _err = run("token_access", "My-Tenant", "OFF")
    tenant.refresh_from_db()
    assert not tenant.has_token_access
    assert "on" in on and "off" in off
    events = AuditEvent.objects.filter(action="tenant.token_access")
    assert [e.channel for e in events] == [Channel.COMMAND, Channel.COMMAND]


def test_token_access_refuses_a_state_other_than_on_or_off(tenant):
    message = error_of("token_access", "my-tenant", "enabled")

    assert '"on" or "off"' in message


@pytest.mark.django_db
def test_token_access_refuses_an_unknown_tenant():
    message = error_of("token_access", "nobody", "on")

    assert 'No tenant has the subdomain "nobody"' in message


def test_token_access_bad_input_exits_non_zero_with_one_line(tenant, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "token_access", "my-tenant", "maybe"]).execute()

    err = capsys.readouterr().err
    assert exit_info.value.code != 0
    assert (
        err.strip().splitlines()[-1]
        == 'CommandError: The state must be "on" or "off", not "maybe".'
    )


def test_create_api_token_expires_in_the_days_given(tenant):
    run("create_api_token", "my-tenant", "--description", "CI", "--expires-in", "90d")

    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == pytest.approx(
        timedelta(days=90), abs=timedelta(seconds=5)
    )


def test_create_api_token_refuses_an_expiry_that_is_not_a_number_of_days(tenant):
    message = error_of("create_api_token", "my-tenant", "--description", "CI", "--expires-in", "9x")

    assert '"9x" is not a number of days' in message


def test_create_api_token_refuses_never_when_the_account_sets_a_maximum(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(token_max_lifetime_days=30)

    message = error_of("create_api_token", "my-tenant", "--description", "CI")

    assert "within 30 days" in message
    assert not ApiToken.objects.exists()
