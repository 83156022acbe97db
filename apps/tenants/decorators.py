from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers


def tenant_admin_required(view):
    """Signed in as an active admin of a tenant; request.tenant is that tenant.

    The page is never cached (Cache-Control: private, no-store, ...): it shows the
    account's directory, which must not stay in a shared or browser cache.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_tenant_admin:
            raise PermissionDenied("Only the account's admins can open its settings.")
        request.tenant = request.user.tenant
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
