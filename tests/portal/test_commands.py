from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent, Channel
from apps.roles.models import Role
from apps.tenants.models import Tenant
from apps.tokens.auth import authenticate_token
from apps.tokens.models import ApiToken
from apps.users.models import User
from tests.factories import AgentFactory, TenantFactory

GOOD_PASSWORD = "a-long-enough-passphrase"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def error_of(*args) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    return str(error.value)


@pytest.mark.django_db
def test_create_tenant_makes_a_tenant_whose_admin_can_sign_in():
    output = run(
        "create_tenant",
        "acme",
        "--admin",
        "root@acme.example",
        "--password",
        GOOD_PASSWORD,
        "--name",
        "Acme Ltd",
    )

    tenant = Tenant.objects.get(subdomain="acme")
    admin = authenticate(None, tenant=tenant, username="root@acme.example", password=GOOD_PASSWORD)
    assert tenant.name == "Acme Ltd"
    assert not tenant.has_token_access
    assert admin is not None and admin.is_tenant_admin
    assert Role.objects.for_tenant(tenant).count() == 3
    assert "acme" in output


@pytest.mark.django_db
def test_create_tenant_is_audited_as_a_command():
    run("create_tenant", "acme", "--admin", "root", "--password", GOOD_PASSWORD)

    event = AuditEvent.objects.get(action="tenant.created")
    assert event.channel == Channel.COMMAND


@pytest.mark.django_db
def test_create_tenant_stores_the_subdomain_in_lower_case():
    run("create_tenant", "ACME", "--admin", "root", "--password", GOOD_PASSWORD)

    assert Tenant.objects.get().subdomain == "acme"


@pytest.mark.parametrize("subdomain", ["-acme", "acme_corp", "acme.corp", "x" * 64, ""])
@pytest.mark.django_db
def test_create_tenant_refuses_a_subdomain_that_is_not_a_dns_label(subdomain):
    message = error_of("create_tenant", subdomain, "--admin", "root", "--password", GOOD_PASSWORD)

    assert "subdomain" in message
    assert "\n" not in message
    assert not Tenant.objects.exists()


def test_create_tenant_refuses_a_taken_subdomain_in_any_case(tenant):
    message = error_of("create_tenant", "MY-TENANT", "--admin", "root", "--password", GOOD_PASSWORD)

    assert "taken" in message
    assert Tenant.objects.count() == 1


@pytest.mark.django_db
def test_create_tenant_refuses_a_weak_password():
    message = error_of("create_tenant", "acme", "--admin", "root", "--password", "123")

    assert "password" in message.lower()
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_create_tenant_needs_an_admin():
    message = error_of("create_tenant", "acme", "--password", GOOD_PASSWORD)

    assert "--admin" in message


@pytest.mark.django_db
def test_create_tenant_refuses_an_empty_admin_user_name_and_keeps_nothing():
    message = error_of("create_tenant", "acme", "--admin", " ", "--password", GOOD_PASSWORD)

    assert "userName" in message
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_demo_prints_a_sign_in_and_a_working_token():
    output = run("demo", "--url", "http://127.0.0.1:8100/")

    tenant = Tenant.objects.get(subdomain="my-tenant")
    secret = next(word for word in output.split() if word.startswith("cbx_"))
    assert tenant.has_token_access
    assert authenticate_token(header=f"Bearer {secret}", host="127.0.0.1:8100").tenant == tenant
    assert "http://127.0.0.1:8100/" in output
    assert "http://127.0.0.1:8100/scim/v2" in output
    assert authenticate(None, tenant=tenant, username="admin", password="commbox-demo-admin")


@pytest.mark.django_db
def test_demo_can_run_again_and_reuses_the_tenant():
    run("demo")

    output = run("demo")

    assert Tenant.objects.count() == 1
    assert User.objects.filter(user_name="admin").count() == 1
    assert ApiToken.objects.count() == 2
    assert "reused" in output


def test_demo_makes_an_existing_user_an_admin_with_the_given_password(tenant):
    AgentFactory(tenant=tenant, user_name="admin")

    run("demo", "--password", GOOD_PASSWORD)

    user = authenticate(None, tenant=tenant, username="admin", password=GOOD_PASSWORD)
    assert user is not None and user.is_tenant_admin


def test_demo_switches_token_access_on_for_an_existing_tenant(db):
    tenant = TenantFactory(subdomain="my-tenant")

    run("demo")

    tenant.refresh_from_db()
    assert tenant.has_token_access
