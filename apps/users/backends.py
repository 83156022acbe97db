from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend

from apps.tenants.models import Tenant
from apps.users.models import User
from apps.users.names import lookup_form


def sign_in_key(subdomain: str | None, user_name: str) -> str:
    """What sign-in failures are counted under: "<subdomain>/<userName>", or the staff userName.

    `manage.py axes_reset_username <key>` takes the same string.
    """
    user_name = lookup_form(user_name).lower()
    return f"{subdomain}/{user_name}" if subdomain else user_name


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for the sign-in forms (they always pass the request).

    A call without a request comes from code (a management command, the shell), not a
    form that an attacker can drive, so it is not throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class TenantUserBackend(ModelBackend):
    """Tenant admins sign in with subdomain + userName; staff (no tenant) with userName alone.

    Only a tenant's active admins can sign in (the portal is its settings); any other
    tenant user is refused exactly as a wrong password is.
    """

    def authenticate(
        self, request, username=None, password=None, tenant=None, subdomain=None, **kwargs
    ):
        if not username or not password:
            return None
        if subdomain is not None:
            tenant = Tenant.objects.filter(subdomain=subdomain).first()
            if tenant is None:
                User().set_password(password)  # Same work as a real check, against timing probes.
                return None
        users = User.objects.filter(user_name__iexact=lookup_form(username))
        users = users.filter(tenant=tenant) if tenant is not None else users.filter(tenant=None)
        user = users.first()
        if user is None:
            User().set_password(password)  # Same work as a real check, against timing probes.
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        if user.tenant_id is not None and not user.is_tenant_admin:
            return None
        return user
