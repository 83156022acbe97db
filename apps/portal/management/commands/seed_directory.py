"""Bulk-seed a tenant with agents and groups for load benchmarks.

Rows are inserted in bulk, not through the services, because a benchmark needs
100,000 users in seconds; every seeded user is an agent with a work email, so
the directory's rules hold. One audit row records the seeding.
"""

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from apps.audit.models import AuditAction, Channel
from apps.audit.services import record_event
from apps.groups.models import Group
from apps.roles.models import BuiltinRole
from apps.tenants.models import Tenant
from apps.users.models import User, UserEmail

BATCH = 5000


class Command(BaseCommand):
    help = "Bulk-insert N agents (benchN@example.com) and M groups into a tenant, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--groups", type=int, default=100)

    def handle(self, *args, subdomain, users, groups, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain.lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant with subdomain "{subdomain}".')
        if users < 0 or groups < 0:
            raise CommandError("--users and --groups must be zero or more.")
        start = User.objects.for_tenant(tenant).filter(user_name__startswith="bench").count()
        unusable = make_password(None)
        with transaction.atomic():
            for first in range(start, start + users, BATCH):
                batch = [
                    User(
                        tenant=tenant,
                        user_name=f"bench{n}@example.com",
                        password=unusable,
                        external_id=f"bench-{n}",
                        given_name=f"Given{n}",
                        family_name=f"Family{n}",
                        display_name=f"Bench User {n}",
                        role=BuiltinRole.AGENT,
                        source=Channel.COMMAND,
                    )
                    for n in range(first, min(first + BATCH, start + users))
                ]
                created = User.objects.bulk_create(batch)
                if created and created[0].pk is None:  # Backends without RETURNING ids.
                    created = list(
                        User.objects.for_tenant(tenant).filter(
                            user_name__in=[u.user_name for u in batch]
                        )
                    )
                UserEmail.objects.bulk_create(
                    UserEmail(tenant=tenant, user=u, value=u.user_name, type="work", primary=True)
                    for u in created
                )
            existing_groups = Group.objects.for_tenant(tenant).count()
            Group.objects.bulk_create(
                Group(tenant=tenant, display_name=f"Bench group {n}", external_id=f"bench-g{n}")
                for n in range(existing_groups, existing_groups + groups)
            )
            record_event(
                tenant=tenant,
                actor=None,
                action=AuditAction.DIRECTORY_SEEDED,
                target=tenant,
                changes={"users": users, "groups": groups},
            )
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner treats the tables as empty until autovacuum runs.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE users_user, users_useremail, groups_group")
        self.stdout.write(f"Seeded {users} agents and {groups} groups into {tenant.subdomain}.")
