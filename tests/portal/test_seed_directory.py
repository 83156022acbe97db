from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.groups.models import Group, GroupMembership
from apps.users.models import User, UserEmail


def test_seeding_creates_agents_with_work_emails(tenant):
    call_command("seed_directory", tenant.subdomain, users=30, groups=4, no_progress=True)

    seeded = User.objects.for_tenant(tenant).filter(user_name__startswith="bench")
    assert seeded.count() == 30
    assert set(seeded.values_list("role", flat=True)) == {"agent"}
    assert UserEmail.objects.filter(user__in=seeded, type="work", primary=True).count() == 30
    assert Group.objects.for_tenant(tenant).count() == 4


def test_seeded_users_are_counted_for_scim_totals(tenant):
    call_command("seed_directory", tenant.subdomain, users=25, groups=3, no_progress=True)

    assert User.objects.count_for(tenant) == User.objects.for_tenant(tenant).count() == 25
    assert Group.objects.count_for(tenant) == 3


def test_seeding_twice_continues_the_numbering(tenant):
    call_command("seed_directory", tenant.subdomain, users=3, groups=1, no_progress=True)
    call_command("seed_directory", tenant.subdomain, users=2, groups=1, no_progress=True)

    names = set(User.objects.for_tenant(tenant).values_list("user_name", flat=True))
    assert names == {f"bench{n}@example.com" for n in range(5)}


def test_members_option_fills_the_first_seeded_group(tenant):
    call_command(
        "seed_directory", tenant.subdomain, users=10, groups=2, members=7, no_progress=True
    )

    group = Group.objects.for_tenant(tenant).order_by("pk").first()
    assert GroupMembership.objects.filter(group=group).count() == 7


def test_seeding_is_recorded_once_in_the_audit_trail(tenant):
    call_command("seed_directory", tenant.subdomain, users=2, groups=0, no_progress=True)

    event = AuditEvent.objects.get(action="directory.seeded")
    assert event.changes == {"users": 2, "groups": 0, "members": 0}
