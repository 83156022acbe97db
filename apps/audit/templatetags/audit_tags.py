"""Render an audit row's changes as "field: before → after" lines."""

from typing import Any

from django import template

register = template.Library()

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
