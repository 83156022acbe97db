from apps.groups.models import Group
from apps.users.models import User
from apps.users.services import create_user, delete_user
from tests.factories import AgentFactory, GroupFactory, TenantFactory


def test_user_count_follows_creates_and_deletes_on_every_path(tenant, tenant_admin):
    AgentFactory.create_batch(3, tenant=tenant)  # plain inserts, as bulk seeding does
    created = create_user(tenant=tenant, actor=tenant_admin, attributes={"user_name": "a@x.io"})
    delete_user(tenant=tenant, actor=tenant_admin, user=created)

    assert User.objects.count_for(tenant) == User.objects.for_tenant(tenant).count() == 4


def test_bulk_inserts_and_bulk_deletes_are_counted(tenant):
    User.objects.bulk_create(User(tenant=tenant, user_name=f"u{n}@x.io") for n in range(40))
    User.objects.for_tenant(tenant).filter(user_name__in=["u1@x.io", "u2@x.io"]).delete()

    assert User.objects.count_for(tenant) == 38


def test_counts_are_per_tenant_and_leave_out_staff(tenant, staff):
    other = TenantFactory(subdomain="other")
    AgentFactory.create_batch(2, tenant=other)
    GroupFactory.create_batch(3, tenant=tenant)

    assert User.objects.count_for(tenant) == 0
    assert User.objects.count_for(other) == 2
    assert Group.objects.count_for(tenant) == 3


def test_group_count_follows_deletes(tenant):
    groups = GroupFactory.create_batch(5, tenant=tenant)
    groups[0].delete()

    assert Group.objects.count_for(tenant) == 4
