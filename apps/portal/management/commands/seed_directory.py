"""Bulk-seed a tenant with agents and groups for load benchmarks.

Rows are inserted in bulk, not through the services, because a benchmark needs a million
users in minutes: on PostgreSQL with COPY in batches (memory stays flat whatever --users
says), elsewhere with bulk_create. Every seeded user is an agent with a work email, so the
directory's rules hold; the tenant's counters follow through their triggers. One audit row
records the seeding.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import AuditAction, Channel
from apps.audit.services import record_event
from apps.groups.models import Group, GroupMembership
from apps.roles.models import BuiltinRole
from apps.tenants.models import Tenant
from apps.users.models import User, UserEmail

BATCH = 50_000


def _check_counts(*, users: int, groups: int, members: int) -> None:
    if users < 0 or groups < 0 or members < 0:
        raise CommandError("--users, --groups and --members must be zero or more.")
    if members > users or (members and not groups):
        raise CommandError("--members needs as many new users and at least one new group.")


class Progress:
    """A one-line progress bar on stderr: what, how far, how fast."""

    def __init__(self, stream, label: str, total: int):
        self.stream, self.label, self.total = stream, label, total
        self.started = time.monotonic()

    def show(self, done: int) -> None:
        if self.stream is None or not self.total:
            return
        share = done / self.total
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0
        bar = "#" * int(share * 30)
        self.stream.write(
            f"\r{self.label:<7} [{bar:<30}] {done:>9,}/{self.total:,} {share:4.0%} "
            f"{elapsed:6.1f}s {rate:8,.0f}/s"
        )
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _copy_text(value) -> str:
    """A value in COPY's text format (the seeded values hold no tabs or backslashes)."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# The columns that differ per user; every other column takes the same value for all.
VARYING = ("public_id", "user_name", "external_id", "given_name", "family_name", "display_name")


def _user_values(n: int) -> dict[str, str]:
    return {
        "public_id": str(uuid.uuid4()),
        "user_name": f"bench{n}@example.com",
        "external_id": f"bench-{n}",
        "given_name": f"Given{n}",
        "family_name": f"Family{n}",
        "display_name": f"Bench User {n}",
    }


class Command(BaseCommand):
    help = "Bulk-insert N agents (benchN@example.com) and M groups into a tenant, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--groups", type=int, default=100)
        parser.add_argument(
            "--members",
            type=int,
            default=0,
            help="Put the first N seeded users into the first seeded group (a large group).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, subdomain, users, groups, members, no_progress, **options):
        tenant = Tenant.objects.filter(subdomain=subdomain.lower()).first()
        if tenant is None:
            raise CommandError(f'No tenant with subdomain "{subdomain}".')
        _check_counts(users=users, groups=groups, members=members)
        stream = None if no_progress else sys.stderr
        start = User.objects.for_tenant(tenant).filter(user_name__startswith="bench").count()
        first_new_pk = (User.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
        with transaction.atomic():
            progress = Progress(stream, "users", users)
            if connection.vendor == "postgresql":
                self._copy_users(tenant, start, users, progress)
            else:
                self._bulk_create_users(tenant, start, users, progress)
            existing_groups = Group.objects.for_tenant(tenant).count()
            group_progress = Progress(stream, "groups", groups)
            created_groups = Group.objects.bulk_create(
                (
                    Group(tenant=tenant, display_name=f"Bench group {n}", external_id=f"bench-g{n}")
                    for n in range(existing_groups, existing_groups + groups)
                ),
                batch_size=5000,
            )
            group_progress.show(groups)
            if members:
                member_progress = Progress(stream, "members", members)
                self._add_members(tenant, created_groups[0], first_new_pk, members)
                member_progress.show(members)
            record_event(
                tenant=tenant,
                actor=None,
                action=AuditAction.DIRECTORY_SEEDED,
                target=tenant,
                changes={"users": users, "groups": groups, "members": members},
            )
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner treats the tables as empty until autovacuum runs.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE users_user, users_useremail, groups_group, groups_groupmembership"
                )
        self.stdout.write(f"Seeded {users} agents and {groups} groups into {tenant.subdomain}.")

    def _constant_columns(self, tenant) -> dict[str, str]:
        now = timezone.now()
        template = User(
            tenant=tenant,
            password=make_password(None),
            role=BuiltinRole.AGENT,
            source=Channel.COMMAND,
            created_at=now,
            modified_at=now,
        )
        return {
            str(field.column): _copy_text(getattr(template, field.attname))
            for field in User._meta.concrete_fields
            if not field.primary_key and field.attname not in VARYING
        }

    def _copy_users(self, tenant, start: int, users: int, progress: Progress) -> None:
        constants = self._constant_columns(tenant)
        columns = [*constants, *VARYING]
        fixed = "\t".join(constants.values())
        column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            for first in range(start, start + users, BATCH):
                last = min(first + BATCH, start + users)
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM users_user")
                (max_pk,) = cursor.fetchone()
                with cursor.copy(f"COPY users_user ({column_list}) FROM STDIN") as copy:
                    for n in range(first, last):
                        values = _user_values(n)
                        copy.write(fixed + "\t" + "\t".join(values[c] for c in VARYING) + "\n")
                cursor.execute(
                    "INSERT INTO users_useremail "
                    '(tenant_id, user_id, value, type, "primary", display) '
                    "SELECT tenant_id, id, user_name, 'work', true, '' FROM users_user "
                    "WHERE tenant_id = %s AND id > %s",
                    [tenant.pk, max_pk],
                )
                progress.show(last - start)

    def _bulk_create_users(self, tenant, start: int, users: int, progress: Progress) -> None:
        unusable = make_password(None)
        for first in range(start, start + users, BATCH):
            last = min(first + BATCH, start + users)
            batch = [
                User(
                    tenant=tenant,
                    password=unusable,
                    role=BuiltinRole.AGENT,
                    source=Channel.COMMAND,
                    **_user_values(n),
                )
                for n in range(first, last)
            ]
            created = User.objects.bulk_create(batch, batch_size=1000)
            if created and created[0].pk is None:  # Backends without RETURNING ids.
                created = list(
                    User.objects.for_tenant(tenant).filter(
                        user_name__in=[u.user_name for u in batch]
                    )
                )
            UserEmail.objects.bulk_create(
                (
                    UserEmail(tenant=tenant, user=u, value=u.user_name, type="work", primary=True)
                    for u in created
                ),
                batch_size=1000,
            )
            progress.show(last - start)

    def _add_members(self, tenant, group: Group, first_new_pk: int, members: int) -> None:
        member_ids = (
            User.objects.for_tenant(tenant)
            .filter(pk__gt=first_new_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:members]
        )
        for offset in range(0, members, BATCH):
            ids = list(member_ids[offset : offset + BATCH])
            GroupMembership.objects.bulk_create(
                (GroupMembership(tenant=tenant, group=group, user_id=pk) for pk in ids),
                batch_size=5000,
            )
