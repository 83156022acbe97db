"""Reads over the SCIM request log that are too involved for a QuerySet method: Entra's
sync cycles and requests per interval, for the Provisioning tab and the API card."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

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


# The request log on the Provisioning tab: a page at a time, newest first.
LOG_PAGE_SIZE = 20
RESOURCE_IN_PATH = re.compile(
    r"/(Users|Groups)/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
)


@dataclass
class LogPage:
    rows: list[ScimRequest]
    # The id to pass as `before` for the next (older) page; None on the last page.
    older: int | None
    problems_only: bool


def request_log_page(tenant, *, problems_only: bool, before: int | None) -> LogPage:
    """One page of the tenant's SCIM request log, keyset on id; `problems_only` keeps errors
    and refusals (the chart's "error" and "refused")."""
    requests = ScimRequest.objects.filter(tenant=tenant).select_related("token").order_by("-id")
    if problems_only:
        requests = requests.filter(Q(status__gte=400) | ~Q(refusal=""))
    if before is not None:
        requests = requests.filter(id__lt=before)
    rows = list(requests[: LOG_PAGE_SIZE + 1])
    older = rows[LOG_PAGE_SIZE - 1].pk if len(rows) > LOG_PAGE_SIZE else None
    return LogPage(rows=rows[:LOG_PAGE_SIZE], older=older, problems_only=problems_only)


@dataclass
class PathPart:
    text: str
    kind: str = ""  # "user" or "group" when the part names one that still exists
    public_id: str = ""


def named_paths(tenant, rows: list[ScimRequest]) -> list[tuple[ScimRequest, list[PathPart]]]:
    """Each row's decoded path in parts, the ids of users and groups replaced by their
    current names (the page links them); ids no longer in the account stay as they are."""
    ids: dict[str, set[str]] = {"Users": set(), "Groups": set()}
    for row in rows:
        for kind, public_id in RESOURCE_IN_PATH.findall(row.decoded_path):
            ids[kind].add(public_id.lower())
    names: dict[str, tuple[str, str]] = {}
    # The directory sits above audit: its rows are reached through the tenant's relations.
    if ids["Users"]:
        for public_id, display_name, user_name in tenant.users.filter(
            public_id__in=ids["Users"]
        ).values_list("public_id", "display_name", "user_name"):
            names[str(public_id)] = ("user", display_name or user_name)
    if ids["Groups"]:
        for public_id, display_name in tenant.groups.filter(
            public_id__in=ids["Groups"]
        ).values_list("public_id", "display_name"):
            names[str(public_id)] = ("group", display_name)
    return [(row, _path_parts(row.decoded_path, names)) for row in rows]


def _path_parts(path: str, names: dict[str, tuple[str, str]]) -> list[PathPart]:
    parts, start = [], 0
    for match in RESOURCE_IN_PATH.finditer(path):
        public_id = match.group(2).lower()
        if public_id not in names:
            continue
        kind, name = names[public_id]
        parts.append(PathPart(path[start : match.start(2)]))
        parts.append(PathPart(name, kind, public_id))
        start = match.end(2)
    parts.append(PathPart(path[start:]))
    return [part for part in parts if part.text]
