from django import template

from apps.tenants.counting import COUNT_BOUND, is_over_bound

register = template.Library()


@register.filter
def bounded(count: int) -> str:
    """A count from BoundedCount as a person reads it: past the bound, "More than 10,000"."""
    return f"More than {COUNT_BOUND:,}" if is_over_bound(count) else str(count)
