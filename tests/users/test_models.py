import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone

from apps.users.models import User
from tests.factories import (
    AdminFactory,
    AgentFactory,
    CustomRoleFactory,
    StaffFactory,
    UserEmailFactory,
    UserFactory,
)


def test_agents_admins_and_custom_role_holders_are_agents(tenant):
    agent = AgentFactory(tenant=tenant)
    admin = AdminFactory(tenant=tenant)
    holder = AgentFactory(tenant=tenant, custom_role=CustomRoleFactory(tenant=tenant))
    end_user = UserFactory(tenant=tenant)

    assert [u.is_agent for u in (agent, admin, holder, end_user)] == [True, True, True, False]
    assert set(User.objects.for_tenant(tenant).agents()) == {agent, admin, holder}


def test_active_admins_leave_out_inactive_admins_and_agents(tenant, tenant_admin):
    AdminFactory(tenant=tenant, is_active=False)
    AgentFactory(tenant=tenant)

    assert list(User.objects.for_tenant(tenant).active_admins()) == [tenant_admin]


def test_only_an_active_tenant_admin_is_a_tenant_admin(tenant, tenant_admin, staff):
    inactive = AdminFactory(tenant=tenant, is_active=False)

    assert tenant_admin.is_tenant_admin
    assert not inactive.is_tenant_admin
    assert not AgentFactory(tenant=tenant).is_tenant_admin
    assert not staff.is_tenant_admin


def test_primary_email_is_the_one_marked_primary(end_user):
    UserEmailFactory(user=end_user, value="home@example.com", primary=False)
    UserEmailFactory(user=end_user, value="work@example.com", primary=True)

    assert end_user.primary_email == "work@example.com"


def test_primary_email_falls_back_to_the_first_and_then_to_blank(end_user, agent):
    UserEmailFactory(user=end_user, value="home@example.com", primary=False)

    assert end_user.primary_email == "home@example.com"
    assert agent.primary_email == ""


def test_database_refuses_a_user_name_differing_only_in_case(tenant):
    UserFactory(tenant=tenant, user_name="ann@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(tenant=tenant, user_name="ANN@example.com")


def test_database_allows_the_same_user_name_in_two_tenants(tenant, outsider):
    UserFactory(tenant=tenant, user_name="ann@example.com")

    UserFactory(tenant=outsider.tenant, user_name="ann@example.com")

    assert User.objects.filter(user_name="ann@example.com").count() == 2


def test_database_refuses_two_staff_accounts_with_the_same_name(db):
    StaffFactory(user_name="support")

    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(user_name="Support")


def test_user_name_lookup_is_case_insensitive_through_the_lower_transform(tenant):
    user = UserFactory(tenant=tenant, user_name="Ann@Example.com")

    found = User.objects.for_tenant(tenant).filter(user_name__lower=Lower(Value("ANN@example.COM")))

    assert list(found) == [user]


def test_session_hash_is_djangos_own_while_sessions_were_never_revoked(agent):
    # Sessions started before the revocation time existed keep working after the upgrade.
    assert agent.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(agent)


def test_revoking_sessions_changes_the_session_hash(agent):
    before = agent.get_session_auth_hash()

    agent.sessions_revoked_at = timezone.now()

    assert agent.get_session_auth_hash() != before


def test_session_hash_under_an_old_secret_key_follows_the_revocation_too(agent, settings):
    settings.SECRET_KEY_FALLBACKS = ["the-previous-secret-key"]
    before = list(agent.get_session_auth_fallback_hash())

    agent.sessions_revoked_at = timezone.now()

    assert list(agent.get_session_auth_fallback_hash()) != before


def test_can_sign_in_is_an_active_user_with_a_usable_password(tenant):
    able = AdminFactory(tenant=tenant)
    AdminFactory(tenant=tenant, without_password=True)
    AdminFactory(tenant=tenant, is_active=False)

    assert list(User.objects.for_tenant(tenant).can_sign_in()) == [able]


def test_can_sign_in_on_one_row_agrees_with_the_queryset(tenant):
    users = [
        AdminFactory(tenant=tenant),
        AdminFactory(tenant=tenant, without_password=True),
        AdminFactory(tenant=tenant, is_active=False),
    ]

    assert [user.can_sign_in for user in users] == [True, False, False]
