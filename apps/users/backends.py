from django.contrib.auth.backends import ModelBackend

from apps.users.models import User


class TenantUserBackend(ModelBackend):
    """Tenant users sign in with subdomain + userName; staff (no tenant) with userName alone."""

    def authenticate(self, request, username=None, password=None, tenant=None, **kwargs):
        if not username or not password:
            return None
        users = User.objects.filter(user_name__iexact=username.strip())
        users = users.filter(tenant=tenant) if tenant is not None else users.filter(tenant=None)
        user = users.first()
        if user is None:
            User().set_password(password)  # Same work as a real check, against timing probes.
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
