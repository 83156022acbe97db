from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.audit.services import prune_audit_trail


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise CommandError(f'"{value}" is not a number of days.') from None
    if days < 1:
        raise CommandError("Keep at least 1 day.")
    return days


class Command(BaseCommand):
    help = (
        "Delete audit events older than AUDIT_RETENTION_DAYS (unset: none) and SCIM request "
        "log rows older than SCIM_REQUEST_LOG_RETENTION_DAYS, in batches, and record the run "
        "in the audit trail. Safe to run again at any time (a daily timer or cron line)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", help="Keep audit events this many days (overrides AUDIT_RETENTION_DAYS)."
        )
        parser.add_argument(
            "--scim-days",
            dest="scim_days",
            help="Keep SCIM request log rows this many days "
            "(overrides SCIM_REQUEST_LOG_RETENTION_DAYS).",
        )

    def handle(self, *args, days, scim_days, **options):
        retention_days = _days(days) if days is not None else settings.AUDIT_RETENTION_DAYS
        scim_retention_days = (
            _days(scim_days) if scim_days is not None else settings.SCIM_REQUEST_LOG_RETENTION_DAYS
        )
        result = prune_audit_trail(
            actor=None,
            now=timezone.now(),
            retention_days=retention_days,
            scim_retention_days=scim_retention_days,
        )
        if result.events_before is None:
            self.stdout.write("Audit events: kept forever (AUDIT_RETENTION_DAYS is not set).")
        else:
            self.stdout.write(
                f"Audit events: deleted {result.events_deleted} created before "
                f"{result.events_before:%Y-%m-%d %H:%M} UTC, in {result.accounts} account(s)."
            )
        self.stdout.write(
            f"SCIM request log: deleted {result.scim_requests_deleted} rows created before "
            f"{result.scim_requests_before:%Y-%m-%d %H:%M} UTC."
        )
