from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from apps.tenants.hosts import tenant_subdomain_of_host


class AccountHostMiddleware:
    """On <subdomain>.<BASE_DOMAIN>, only sessions of that account are accepted.

    Any other session (another account's, a staff account's) gets a page that says so,
    with a way to sign out; signing out is the one request it may still make here.
    The plain host accepts every session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host_subdomain = tenant_subdomain_of_host(request.get_host())
        if host_subdomain is None or not request.user.is_authenticated:
            return self.get_response(request)
        tenant = request.user.tenant
        if tenant is not None and tenant.subdomain == host_subdomain:
            return self.get_response(request)
        if request.path == reverse("portal:logout"):
            return self.get_response(request)
        return render(
            request,
            "portal/wrong_account.html",
            {
                "host": request.get_host(),
                "host_subdomain": host_subdomain,
                "own_url": _settings_url_of(request, tenant),
            },
            status=403,
        )


def _settings_url_of(request, tenant) -> str:
    if tenant is None:
        return ""
    host = request.get_host()
    port = ":" + host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    return (
        f"{request.scheme}://{tenant.subdomain}.{settings.BASE_DOMAIN}{port}"
        f"{reverse('portal:settings')}"
    )
