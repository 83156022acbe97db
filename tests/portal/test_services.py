import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent, Channel
from apps.portal.services import create_tenant
from apps.roles.models import BuiltinRole, Role
from apps.tenants.models import Tenant
from apps.users.models import User
from tests.factories import TenantFactory


def test_new_tenant_has_builtin_roles_and_an_admin_who_can_sign_in(db):
    tenant = create_tenant(
        actor=None,
        subdomain=" Acme ",
        admin_user_name="admin@acme.example",
        admin_password="Long-Unique-Password-1",
    )

    assert (tenant.subdomain, tenant.name) == ("acme", "acme")
    assert sorted(Role.objects.for_tenant(tenant).values_list("builtin", flat=True)) == sorted(
        BuiltinRole.values
    )
    admin = User.objects.get(tenant=tenant)
    assert (admin.role, admin.source) == (BuiltinRole.ADMIN, Channel.COMMAND)
    assert admin.check_password("Long-Unique-Password-1")


def test_new_tenant_and_its_admin_are_audited_as_a_command_without_the_password(db):
    tenant = create_tenant(
        actor=None,
        subdomain="acme",
        admin_user_name="admin@acme.example",
        admin_password="Long-Unique-Password-1",
    )

    events = AuditEvent.objects.for_tenant(tenant)
    assert sorted(events.values_list("action", flat=True)) == ["tenant.created", "user.created"]
    assert set(events.values_list("channel", flat=True)) == {"command"}
    assert all("Long-Unique-Password-1" not in str(e.changes) for e in events)


def test_taken_subdomain_in_any_case_is_refused_as_unique(db):
    TenantFactory(subdomain="acme")

    with pytest.raises(ValidationError) as error:
        create_tenant(
            actor=None, subdomain="ACME", admin_user_name="a", admin_password="Password-123"
        )

    assert error.value.code == "unique"
    assert Tenant.objects.count() == 1


@pytest.mark.parametrize("subdomain", ["-acme", "acme_corp", "a" * 64, ""])
def test_invalid_subdomain_is_refused(db, subdomain):
    with pytest.raises(ValidationError):
        create_tenant(
            actor=None, subdomain=subdomain, admin_user_name="a", admin_password="Password-123"
        )

    assert not Tenant.objects.exists()
    assert not AuditEvent.objects.exists()


def test_tenant_without_admin_password_is_not_created(db):
    with pytest.raises(ValidationError):
        create_tenant(actor=None, subdomain="acme", admin_user_name="a", admin_password="")

    assert not Tenant.objects.exists()


def test_tenant_whose_admin_is_refused_is_not_created(db):
    with pytest.raises(ValidationError):
        create_tenant(actor=None, subdomain="acme", admin_user_name="  ", admin_password="Pw-1234")

    assert not Tenant.objects.exists()
    assert not Role.objects.exists()
    assert not AuditEvent.objects.exists()
