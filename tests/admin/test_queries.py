"""List pages cost the same number of queries at 10 rows as at 100: no N+1."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent, ScimRequest
from apps.groups.models import Group, GroupMembership
from apps.roles.models import Role
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.users.models import User, UserEmail
from tests.factories import (
    AgentFactory,
    ApiTokenFactory,
    CustomRoleFactory,
    GroupFactory,
    TenantFactory,
    UserFactory,
)


def make_tenants(tenant, count):
    Tenant.objects.bulk_create(TenantFactory.build_batch(count))


def make_users(tenant, count):
    role = CustomRoleFactory(tenant=tenant)
    users = User.objects.bulk_create(
        UserFactory.build_batch(count, tenant=tenant, password="!", role="agent", custom_role=role)
    )
    UserEmail.objects.bulk_create(
        UserEmail(tenant=u.tenant, user=u, value=u.user_name, primary=True) for u in users
    )


def make_roles(tenant, count):
    roles = CustomRoleFactory.build_batch(count, tenant=tenant)
    Role.objects.bulk_create(roles)
    User.objects.bulk_create(
        UserFactory.build(tenant=tenant, password="!", role="agent", custom_role=role)
        for role in roles
    )


def make_groups(tenant, count):
    agent = AgentFactory(tenant=tenant)
    groups = Group.objects.bulk_create(GroupFactory.build_batch(count, tenant=tenant))
    GroupMembership.objects.bulk_create(
        GroupMembership(tenant=g.tenant, group=g, user=agent) for g in groups
    )


def make_tokens(tenant, count):
    creator = AgentFactory(tenant=tenant)
    ApiToken.objects.bulk_create(
        ApiTokenFactory.build_batch(count, tenant=tenant, created_by=creator)
    )


def make_audit_events(tenant, count):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            tenant=tenant,
            channel="scim",
            action="user.updated",
            actor_type="token",
            actor_label="API token",
            target_type="user",
            target_id=str(n),
            target_label=f"user{n}",
            changes={"title": ["", "Lead"]},
        )
        for n in range(count)
    )


def make_scim_requests(tenant, count):
    token = ApiTokenFactory(tenant=tenant)
    ScimRequest.objects.bulk_create(
        ScimRequest(
            tenant=tenant,
            token=token,
            method="GET",
            path="/scim/v2/Users",
            status=200,
            duration_ms=5,
        )
        for _ in range(count)
    )


# changelist, row maker, the most queries the page may make whatever the row count.
LISTS = [
    ("tenants_tenant", make_tenants, 10),
    ("users_user", make_users, 11),
    ("roles_role", make_roles, 10),
    ("groups_group", make_groups, 10),
    ("tokens_apitoken", make_tokens, 11),  # + the prefetch of replacements (state column)
    ("audit_auditevent", make_audit_events, 9),
    ("audit_scimrequest", make_scim_requests, 12),
]


@pytest.mark.parametrize("rows", [10, 100])
@pytest.mark.parametrize(("changelist", "make_rows", "max_queries"), LISTS)
def test_list_page_queries_do_not_grow_with_rows(
    client,
    support_member,
    tenant,
    django_assert_max_num_queries,
    changelist,
    make_rows,
    max_queries,
    rows,
):
    make_rows(tenant, rows)
    client.force_login(support_member)

    with django_assert_max_num_queries(max_queries):
        response = client.get(reverse(f"admin:{changelist}_changelist"))

    assert response.status_code == 200


@pytest.fixture
def busy_user(tenant):
    """A user with the given number of group memberships and audit events."""

    def make(count):
        user = AgentFactory(tenant=tenant)
        groups = Group.objects.bulk_create(GroupFactory.build_batch(count, tenant=tenant))
        GroupMembership.objects.bulk_create(
            GroupMembership(tenant=g.tenant, group=g, user=user) for g in groups
        )
        AuditEvent.objects.bulk_create(
            AuditEvent(
                tenant=tenant,
                channel="scim",
                action="user.updated",
                actor_type="token",
                target_type="user",
                target_id=str(user.public_id),
                target_label=user.user_name,
            )
            for _ in range(count)
        )
        return user

    return make


@pytest.mark.parametrize("rows", [10, 100])
def test_user_page_queries_do_not_grow_with_memberships_or_history(
    client, support_member, busy_user, django_assert_max_num_queries, rows
):
    user = busy_user(rows)
    client.force_login(support_member)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("rows", [10, 100])
def test_group_page_queries_do_not_grow_with_members(
    client, support_member, tenant, django_assert_max_num_queries, rows
):
    group = GroupFactory(tenant=tenant)
    users = User.objects.bulk_create(
        UserFactory.build_batch(rows, tenant=tenant, password="!", role="agent")
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(tenant=group.tenant, group=group, user=u) for u in users
    )
    client.force_login(support_member)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:groups_group_change", args=[group.pk]))

    assert response.status_code == 200
