"""Audit rows on pages: sentences, readable changes, the raw codes, and the requests chart."""

from typing import Any

from django import template
from django.template.defaultfilters import pluralize

from apps.audit import wording

register = template.Library()


@register.simple_tag
def event_sentence(event, names=None):
    """The event as a sentence (before, target, after); names maps ids to current names."""
    return wording.sentence(event, (names or {}).get(event.target_id))


@register.filter
def change_lines(event):
    return wording.change_lines(event)


@register.filter
def actor_kind(event) -> str:
    return wording.actor_name(event)


# Fields whose value is a list of names, not a [before, after] pair.
LIST_FIELDS = {"groups", "manager_of", "holders_moved_to_agent"}


def _readable(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return _readable_dict(value)
    if isinstance(value, list):
        return "; ".join(_readable(v) for v in value)
    return str(value)


def _readable_dict(value: dict[str, Any]) -> str:
    # Emails, phone numbers and addresses arrive as dicts; show their value first.
    if "value" in value:
        details = [str(value["type"])] if value.get("type") else []
        if value.get("primary"):
            details.append("primary")
        return f"{value['value']} ({', '.join(details)})" if details else str(value["value"])
    return ", ".join(f"{k}: {_readable(v)}" for k, v in value.items() if v not in ("", None))


@register.filter
def change_rows(changes: dict | None) -> list[dict[str, Any]]:
    """One row per field: a [before, after] pair becomes before → after, anything else a note."""
    rows = []
    changes = changes or {}
    for field, value in changes.items():
        if field.endswith("_id") and field.removesuffix("_id") in changes:
            continue  # "member_id" next to "member": the name says it to a reader.
        if isinstance(value, list) and len(value) == 2 and field not in LIST_FIELDS:
            rows.append(
                {
                    "field": field,
                    "before": _readable(value[0]),
                    "after": _readable(value[1]),
                    "is_change": True,
                }
            )
        else:
            rows.append({"field": field, "value": _readable(value), "is_change": False})
    return rows


OUTCOME_LABELS = {"ok": "OK", "error": "error", "refused": "refused"}


def _chart_bars(intervals, *, width: int, height: int, gap: float) -> list[dict[str, Any]]:
    peak = max((interval.total for interval in intervals), default=0) or 1
    slot = width / max(len(intervals), 1)
    bars = []
    for n, interval in enumerate(intervals):
        top = float(height)
        segments = []
        for outcome in OUTCOME_LABELS:
            value = interval.counts[outcome]
            if value:
                segment_height = max(value / peak * height, 1.0)
                top -= segment_height
                segments.append(
                    {"outcome": outcome, "y": round(top, 2), "height": round(segment_height, 2)}
                )
        ends = interval.started_at + (intervals[1].started_at - intervals[0].started_at)
        summary = ", ".join(f"{interval.counts[o]} {label}" for o, label in OUTCOME_LABELS.items())
        bars.append(
            {
                "x": round(n * slot + gap / 2, 2),
                "width": round(max(slot - gap, 0.5), 2),
                "segments": segments,
                "title": f"{interval.started_at:%H:%M}–{ends:%H:%M} UTC: {summary}",
                "period": f"{interval.started_at:%H:%M}–{ends:%H:%M}",
                "counts": interval.counts,
                "total": interval.total,
            }
        )
    return bars


def chart_summary(totals: dict[str, int]) -> str:
    """The chart in one sentence: "214 SCIM requests in the last 24 hours, 3 errors, 0 refused."."""
    requests = sum(totals.values())
    return (
        f"{requests} SCIM request{pluralize(requests)} in the last 24 hours, "
        f"{totals['error']} error{pluralize(totals['error'])}, {totals['refused']} refused."
    )


@register.inclusion_tag("audit/_requests_chart.html")
def requests_chart(intervals):
    """Requests per interval as server-rendered SVG bars stacked by outcome (no script), with
    a sentence that sums them up and the figures as a table."""
    width, height = 960, 160
    totals = {o: sum(i.counts[o] for i in intervals) for o in OUTCOME_LABELS}
    step = (intervals[1].started_at - intervals[0].started_at) if len(intervals) > 1 else None
    minutes = int(step.total_seconds() // 60) if step else 0
    return {
        "bars": _chart_bars(intervals, width=width, height=height, gap=3),
        "width": width,
        "height": height,
        "totals": totals,
        "label": (
            f"SCIM requests per {minutes} minutes over the last 24 hours: "
            f"{totals['ok']} OK, {totals['error']} errors, {totals['refused']} refused."
        ),
        "started_at": intervals[0].started_at if intervals else None,
        "summary": chart_summary(totals),
        "minutes": minutes,
    }


@register.filter
def human_duration(value) -> str:
    """A timedelta as "under a second", "42 s", "3 min 20 s" or "1 h 5 min"."""
    seconds = int(value.total_seconds())
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
