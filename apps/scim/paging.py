"""A page of a SCIM list (RFC 7644 §3.4.2.4): startIndex and count, the filter, totalResults."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from apps.scim.exceptions import ScimError, shown
from apps.scim.filters import filter_queryset, name_sought
from apps.scim.serializers import list_response

# startIndex beyond a 32-bit integer cannot be a position in any list this server holds; the
# database would refuse it past 2**63 ("bigint out of range").
MAX_START_INDEX = 2**31 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _integer(name: str, raw: str) -> int:
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise ScimError(f'"{name}" must be an integer, not {shown(raw)}.', scim_type="invalidValue")
    if len(text.lstrip("+-").lstrip("0")) > 18:
        # Larger than any bound below; int() would take time on thousands of digits.
        return 10**19 if not text.startswith("-") else -(10**19)
    return int(text)


def paging(params: dict[str, str]) -> tuple[int, int]:
    """(startIndex, count) as RFC 7644 §3.4.2.4 reads them.

    startIndex is 1-based and below 1 counts as 1; count below 0 counts as 0 and above
    SCIM_MAX_PAGE_SIZE as SCIM_MAX_PAGE_SIZE (the maxResults of ServiceProviderConfig).
    A startIndex above MAX_START_INDEX, or either one not a decimal integer, is invalidValue.
    """
    values = {}
    for name, label, default in (
        ("startindex", "startIndex", 1),
        ("count", "count", settings.SCIM_MAX_PAGE_SIZE),
    ):
        raw = params.get(name)
        values[name] = default if raw is None or raw == "" else _integer(label, raw)
    if values["startindex"] > MAX_START_INDEX:
        raise ScimError(
            f'"startIndex" must be at most {MAX_START_INDEX}.', scim_type="invalidValue"
        )
    start = max(1, values["startindex"])
    count = min(max(0, values["count"]), settings.SCIM_MAX_PAGE_SIZE)
    return start, count


@dataclass(frozen=True)
class PreparedReads:
    """A collection's page that needs no queryset built (apps.scim.prepared_lookups)."""

    unique_attribute: str  # as parsed (lower-case): `eq` on it finds at most one resource
    named: Callable[[str, int, int], list]  # (value, start, count): the page of `eq value`


def list_page(
    params: dict[str, str],
    scope: Callable[[], QuerySet],
    resource: str,
    render: Callable[[object], dict],
    *,
    count_all: Callable[[], int] | None = None,
    prepared: PreparedReads | None = None,
) -> dict:
    """The ListResponse of one page of the queryset `scope()`, filtered by the `filter`
    parameter; `prepared` reads the commonest pages without building it."""
    filter_text = params.get("filter")
    start, count = paging(params)
    value = (
        name_sought(filter_text, prepared.unique_attribute) if filter_text and prepared else None
    )
    if prepared is not None and value is not None and start == 1 and count > 1:
        # The unique value makes this first page complete.
        rows = prepared.named(value, start, count)
        return list_response([render(row) for row in rows], total=len(rows), start_index=start)
    queryset = scope()
    if filter_text:
        queryset = filter_queryset(queryset, filter_text, resource)
    rows = list(queryset[start - 1 : start - 1 + count]) if count else []
    total = _total(queryset.count, rows, start, count, None if filter_text else count_all)
    return list_response([render(row) for row in rows], total=total, start_index=start)


def _total(count_matches: Callable[[], int], rows: list, start: int, count: int, count_all) -> int:
    """totalResults, without a COUNT(*) when the page or the counters tell it."""
    if len(rows) < count and (rows or start == 1):
        # A short page is the last one, so it tells the total.
        return start - 1 + len(rows)
    if count_all is not None:
        return count_all()
    return count_matches()
