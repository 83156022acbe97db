"""The two-choice list filters (apps/admin_base.is_set_filter) on each admin that has one."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.tenants.models import Tenant
from tests.factories import ApiTokenFactory, CustomRoleFactory, TenantFactory


@pytest.fixture
def support_client(client, support_member):
    client.force_login(support_member)
    return client


def listed(client, changelist: str, params: dict) -> list:
    response = client.get(reverse(f"admin:{changelist}"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_token_state_filter_lists_revoked_tokens_only(support_client, tenant):
    ApiTokenFactory(tenant=tenant, description="kept")
    ApiTokenFactory(tenant=tenant, description="gone", revoked_at=timezone.now())

    rows = listed(support_client, "tokens_apitoken_changelist", {"state": "revoked"})

    assert [t.description for t in rows] == ["gone"]


def test_token_state_filter_lists_tokens_not_revoked(support_client, tenant):
    ApiTokenFactory(tenant=tenant, description="kept")
    ApiTokenFactory(tenant=tenant, description="gone", revoked_at=timezone.now())

    rows = listed(support_client, "tokens_apitoken_changelist", {"state": "active"})

    assert [t.description for t in rows] == ["kept"]


def test_role_kind_filter_separates_custom_from_built_in_roles(support_client, tenant):
    CustomRoleFactory(tenant=tenant, name="Team Lead")

    custom = listed(support_client, "roles_role_changelist", {"kind": "custom"})
    builtin = listed(support_client, "roles_role_changelist", {"kind": "builtin"})

    assert [r.name for r in custom] == ["Team Lead"]
    assert sorted(r.builtin for r in builtin) == ["admin", "agent", "end-user"]


def test_tenant_token_access_filter_lists_tenants_by_switch(support_client, tenant):
    TenantFactory(subdomain="switched-off", token_access_enabled_at=None)

    on = listed(support_client, "tenants_tenant_changelist", {"token_access": "on"})
    off = listed(support_client, "tenants_tenant_changelist", {"token_access": "off"})

    assert [t.subdomain for t in on] == [tenant.subdomain]
    assert [t.subdomain for t in off] == ["switched-off"]
    assert Tenant.objects.count() == 2
