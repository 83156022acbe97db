"""Reads over the SCIM request log that are too involved for a QuerySet method: Entra's
sync cycles and requests per interval, for the Provisioning tab and the API card."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apps.audit.models import AuditEvent, Channel, ScimRequest

# Entra runs a cycle about every 40 minutes; requests less than this apart are one cycle.
QUIET_GAP = timedelta(minutes=10)
CHART_INTERVAL = timedelta(minutes=30)
CHART_SPAN = timedelta(hours=24)
# An audit row is written just before its request's log row; this much slack puts the
# first request's changes inside its cycle.
EVENT_SLACK = timedelta(seconds=30)
OUTCOMES = ("ok", "error", "refused")

# What each audit action adds to a cycle's summary.
CYCLE_COUNTS = {
    "user.created": "users_created",
    "user.deleted": "users_deleted",
    "group.created": "groups_created",
    "group.updated": "groups_updated",
    "group.deleted": "groups_deleted",
    "group.member_added": "members_added",
    "group.member_removed": "members_removed",
}


@dataclass
class SyncCycle:
    started_at: datetime
    ended_at: datetime
    requests: int = 0
    outcomes: Counter = field(default_factory=Counter)
    changes: Counter = field(default_factory=Counter)

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at

    @property
    def errors(self) -> int:
        return self.outcomes["error"]

    @property
    def refused(self) -> int:
        return self.outcomes["refused"]

    @property
    def has_changes(self) -> bool:
        return any(self.changes.values())


@dataclass
class Interval:
    started_at: datetime
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _outcome(status: int, refusal: str) -> str:
    return ScimRequest(status=status, refusal=refusal).outcome


def _requests_since(tenant, since: datetime):
    return (
        ScimRequest.objects.filter(tenant=tenant, created_at__gte=since)
        .order_by("created_at", "id")
        .values_list("created_at", "status", "refusal")
    )


def sync_cycles(tenant, *, now: datetime, span: timedelta = CHART_SPAN, limit: int = 10):
    """The latest cycles, newest first: requests grouped by quiet gaps, with their changes."""
    cycles: list[SyncCycle] = []
    for created_at, status, refusal in _requests_since(tenant, now - span):
        if not cycles or created_at - cycles[-1].ended_at > QUIET_GAP:
            cycles.append(SyncCycle(started_at=created_at, ended_at=created_at))
        cycle = cycles[-1]
        cycle.ended_at = created_at
        cycle.requests += 1
        cycle.outcomes[_outcome(status, refusal)] += 1
    cycles = cycles[-limit:]
    if cycles:
        _count_changes(tenant, cycles)
    return cycles[::-1]


def _count_changes(tenant, cycles: list[SyncCycle]) -> None:
    events = (
        AuditEvent.objects.for_tenant(tenant)
        .filter(
            channel=Channel.SCIM,
            created_at__gte=cycles[0].started_at - EVENT_SLACK,
            created_at__lte=cycles[-1].ended_at,
        )
        .values_list("created_at", "action", "changes")
    )
    for created_at, action, changes in events:
        cycle = next(
            (c for c in cycles if c.started_at - EVENT_SLACK <= created_at <= c.ended_at),
            None,
        )
        if cycle is not None:
            cycle.changes[_change_kind(action, changes)] += 1


def _change_kind(action: str, changes: dict) -> str:
    if action == "user.updated":
        active = (changes or {}).get("is_active")
        if isinstance(active, list) and active[-1] is False:
            return "users_disabled"
        return "users_updated"
    return CYCLE_COUNTS.get(action, "other")


def requests_per_interval(
    tenant, *, now: datetime, span: timedelta = CHART_SPAN, interval: timedelta = CHART_INTERVAL
) -> list[Interval]:
    """Requests per interval over the span, oldest first, counted by outcome."""
    count = int(span / interval)
    first = now - interval * count
    intervals = [Interval(started_at=first + interval * n) for n in range(count)]
    for created_at, status, refusal in _requests_since(tenant, first):
        index = min(int((created_at - first) / interval), count - 1)
        intervals[index].counts[_outcome(status, refusal)] += 1
    return intervals
