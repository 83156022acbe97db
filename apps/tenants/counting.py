"""Counts of a tenant's rows that cost the same at a thousand users and at a million.

A settings page says "More than 10,000" rather than count a million rows on every view:
past that many, the exact figure changes nothing an admin does on the page (they narrow
the search or the filter instead), and the tenant's exact number of users is on the
users list from its counters (users.UserCount).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import models
from django.utils.functional import cached_property

COUNT_BOUND = 10_000


class BoundedCount(models.Subquery):
    """The number of rows of `queryset`, counted up to COUNT_BOUND + 1 at most, as a
    subquery: an annotation that reads at most that many index entries per row."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS bounded_count)"
    output_field = models.IntegerField()

    def __init__(self, queryset: models.QuerySet, **extra):
        # A constant, not the id: an index that holds the filtered columns answers alone.
        rows = queryset.order_by().annotate(row=models.Value(1)).values("row")
        super().__init__(rows[: COUNT_BOUND + 1], **extra)


def bounded_count(queryset: models.QuerySet) -> int:
    """The number of rows of `queryset`, or COUNT_BOUND + 1 when there are more."""
    return queryset.order_by()[: COUNT_BOUND + 1].count()


def is_over_bound(count: int) -> bool:
    return count > COUNT_BOUND


class BoundedPaginator(Paginator):
    """A Paginator that counts up to COUNT_BOUND + 1 rows, or takes the exact count it is
    given (from a counter), or is told that more than COUNT_BOUND rows match; past the
    bound it pages through the first COUNT_BOUND rows."""

    def __init__(
        self, object_list: models.QuerySet, per_page, *, count=None, over_bound=False, **kwargs
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.queryset = object_list
        self.exact_count = count
        self.is_over_bound = over_bound

    @property
    def bound_label(self) -> str:
        return f"{COUNT_BOUND:,}"

    @cached_property
    def count(self) -> int:
        """The exact count, or past the bound the rows of the pages that cover the bound."""
        if self.exact_count is not None:
            return self.exact_count
        if not self.is_over_bound:
            count = bounded_count(self.queryset)
            if not is_over_bound(count):
                return count
            self.is_over_bound = True
        return -(-COUNT_BOUND // self.per_page) * self.per_page
