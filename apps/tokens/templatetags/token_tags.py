"""The token expiry notice, which the settings home and every API tab include with one line:
{% include "tokens/_expiry_notice.html" %}."""

from django import template

from apps.tokens.selectors import ExpiryNotice, expiry_notices

register = template.Library()


@register.simple_tag
def token_expiry_notices(tenant) -> list[ExpiryNotice]:
    return expiry_notices(tenant) if tenant is not None else []
