from django import template

from apps.tenants import counting

register = template.Library()


@register.filter
def bounded(count: int) -> str:
    """A count from BoundedCount as a person reads it: past the bound, "More than 10,000"."""
    return f"More than {counting.COUNT_BOUND:,}" if counting.is_over_bound(count) else str(count)
