"""The one path by which audit events leave the trail: deleting those older than a moment.

The trail is append-only (AuditEvent, its QuerySet, and on PostgreSQL the trigger of
migrations 0008 and 0013). The trigger lets a DELETE through only for rows created before
the moment named by the transaction-local setting `commbox.audit_prune_before`;
`delete_events_before` sets it with `set_config(..., true)` inside each batch's transaction,
so it ends with the batch and never reaches another statement of the connection. Only
`services.prune_audit_trail` (manage.py prune_audit) calls it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import connection, transaction

from apps.audit.models import AuditEvent, ScimRequest

PRUNE_SETTING = "commbox.audit_prune_before"
BATCH_SIZE = 5000


def _allow_deletes_before(moment: datetime) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [PRUNE_SETTING, moment.isoformat()])


def delete_events_before(moment: datetime, *, batch_size: int = BATCH_SIZE) -> Counter:
    """Delete events created before `moment`, a batch per transaction (short locks, a
    bounded WAL burst); returns how many were deleted per tenant id (None: platform)."""
    deleted: Counter = Counter()
    while True:
        with transaction.atomic():
            rows = list(
                AuditEvent.objects.filter(created_at__lt=moment)
                .order_by("created_at", "id")
                .values_list("pk", "tenant_id")[:batch_size]
            )
            if not rows:
                return deleted
            _allow_deletes_before(moment)
            # The base manager: AuditEventQuerySet.delete() refuses, by design, every other path.
            AuditEvent._base_manager.filter(pk__in=[pk for pk, _tenant in rows]).delete()
        deleted.update(tenant_id for _pk, tenant_id in rows)
        if len(rows) < batch_size:
            return deleted


def delete_scim_requests_before(moment: datetime, *, batch_size: int = BATCH_SIZE) -> int:
    """Delete SCIM request log rows created before `moment`, in batches; returns how many."""
    total = 0
    while True:
        ids = list(
            ScimRequest.objects.filter(created_at__lt=moment)
            .order_by("id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return total
        total += ScimRequest.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < batch_size:
            return total
