import uuid
from datetime import UTC, date, datetime, time, timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.audit import export
from apps.audit.forms import ActivityFilterForm
from apps.audit.models import AuditEvent
from apps.tenants.decorators import tenant_admin_required

PAGE_SIZE = 50
CURSOR_FORMAT = "%Y%m%dT%H%M%S.%f"


def encode_cursor(event: AuditEvent) -> str:
    return f"{event.created_at.astimezone(UTC).strftime(CURSOR_FORMAT)}_{event.pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        moment_text, pk_text = cursor.rsplit("_", 1)
        moment = datetime.strptime(moment_text, CURSOR_FORMAT).replace(tzinfo=UTC)
        pk = int(pk_text)
    except ValueError:
        return None
    return (moment, pk) if 0 < pk < 2**63 else None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered_events(tenant, filters: dict):
    """The account's events the Activity filters select; the page and its export share it."""
    events = AuditEvent.objects.for_tenant(tenant)
    # Whole days in UTC, as the page shows times; both ends included.
    if filters.get("date_from"):
        events = events.filter(created_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        events = events.filter(created_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    if filters.get("channel"):
        events = events.filter(channel=filters["channel"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("target_type"):
        events = events.filter(target_type=filters["target_type"])
    if target := filters.get("target"):
        try:
            # Ids are UUIDs: an id matches exactly, through the (tenant, target) index.
            events = events.filter(target_id=str(uuid.UUID(target)))
        except ValueError:
            events = events.filter(target_label__icontains=target)
    return events


def _page(events, *, older: str, newer: str):
    """One page of events and whether newer and older ones exist, without counting rows.

    Keyset pagination on (created_at, id), the order of the (tenant, -created_at) index:
    a page deep in millions of rows costs the same as the first one.
    """
    if (cursor := decode_cursor(newer)) is not None:
        moment, pk = cursor
        rows = list(
            events.filter(created_at__gte=moment)
            .exclude(created_at=moment, pk__lte=pk)
            .order_by("created_at", "id")[: PAGE_SIZE + 1]
        )
        return rows[:PAGE_SIZE][::-1], len(rows) > PAGE_SIZE, True
    has_newer = False
    if (cursor := decode_cursor(older)) is not None:
        moment, pk = cursor
        events = events.filter(created_at__lte=moment).exclude(created_at=moment, pk__gte=pk)
        has_newer = True
    rows = list(events.order_by("-created_at", "-id")[: PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], has_newer, len(rows) > PAGE_SIZE


def _linkable_targets(tenant, events) -> dict[str, str]:
    """Current names of the users and groups on this page that still exist, by id: only
    they get links, and sentences name them as they are called now."""
    ids: dict[str, set[str]] = {"user": set(), "group": set()}
    for event in events:
        if event.target_type in ids:
            ids[event.target_type].add(event.target_id)
    names: dict[str, str] = {}
    # The directory sits above audit: its rows are reached through the tenant's relations.
    if ids["user"]:
        for public_id, display_name, user_name in tenant.users.filter(
            public_id__in=ids["user"]
        ).values_list("public_id", "display_name", "user_name"):
            names[str(public_id)] = display_name or user_name
    if ids["group"]:
        for public_id, display_name in tenant.groups.filter(public_id__in=ids["group"]).values_list(
            "public_id", "display_name"
        ):
            names[str(public_id)] = display_name
    return names


def _filter_query(request) -> str:
    """The page's query string without the page cursors or the export format."""
    query = request.GET.copy()
    for key in ("older", "newer", "format"):
        query.pop(key, None)
    return query.urlencode()


def _activity_page(request, form, *, status: int = 200):
    tenant = request.tenant
    filters = form.cleaned_data if form.is_valid() else {}
    events, has_newer, has_older = _page(
        _filtered_events(tenant, filters),
        older=request.GET.get("older", ""),
        newer=request.GET.get("newer", ""),
    )
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "events": events,
            "linkable": _linkable_targets(tenant, events),
            "newer_cursor": encode_cursor(events[0]) if has_newer and events else "",
            "older_cursor": encode_cursor(events[-1]) if has_older and events else "",
            "has_newer": has_newer,
            "query": _filter_query(request),
            "filtered": any(filters.values()),
        },
        status=status,
    )


@tenant_admin_required
@require_GET
def activity(request):
    return _activity_page(request, ActivityFilterForm(request.GET))


@tenant_admin_required
@require_GET
def activity_export(request):
    """What the page's filters show, every page of it, as CSV or JSON Lines (?format=)."""
    form = ActivityFilterForm(request.GET)
    file_format = request.GET.get("format", "csv")
    if not form.is_valid() or file_format not in export.FORMATS:
        if file_format not in export.FORMATS:
            form.add_error(None, "Export as CSV or as JSON Lines.")
        # The page with the filters' errors, not a file of the wrong rows.
        return _activity_page(request, form, status=400)
    tenant = request.tenant
    stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return export.export_response(
        _filtered_events(tenant, form.cleaned_data),
        file_format=file_format,
        filename=f"activity-{tenant.subdomain}-{stamp}",
        names_of=lambda batch: _linkable_targets(tenant, batch),
    )
