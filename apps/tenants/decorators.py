from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def tenant_admin_required(view):
    """Signed in as an active admin of a tenant; request.tenant is that tenant."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_tenant_admin:
            raise PermissionDenied("Only the account's admins can open its settings.")
        request.tenant = request.user.tenant
        return view(request, *args, **kwargs)

    return wrapper
