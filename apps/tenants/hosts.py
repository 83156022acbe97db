"""Which tenant a request's host names: <subdomain>.<BASE_DOMAIN>."""

from django.conf import settings


def tenant_subdomain_of_host(host: str) -> str | None:
    """The subdomain when the host is <subdomain>.<BASE_DOMAIN>, else None."""
    hostname = host.rsplit(":", 1)[0].lower().rstrip(".") if host else ""
    suffix = "." + settings.BASE_DOMAIN
    if hostname.endswith(suffix):
        subdomain = hostname[: -len(suffix)]
        return subdomain if subdomain and "." not in subdomain else None
    return None
