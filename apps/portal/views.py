from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from apps.audit import selectors
from apps.groups.models import Group
from apps.portal.forms import SignInForm
from apps.roles.models import Role
from apps.tenants.decorators import tenant_admin_required
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tenants.models import Tenant
from apps.tokens.models import ApiToken
from apps.users.models import User

SIGN_IN_FAILED = "The account, username or password is not right."


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    """Tenant admins sign in with account (subdomain), userName and password."""
    host_subdomain = tenant_subdomain_of_host(request.get_host())
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""

    if request.user.is_authenticated and request.user.is_tenant_admin and request.method == "GET":
        return redirect(next_url or home_url(request.user))

    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            user = _authenticate(request, **form.cleaned_data)
            if user is None:
                form.add_error(None, SIGN_IN_FAILED)
            elif not user.is_tenant_admin:
                form.add_error(None, "Only the account's admins can open its settings.")
            else:
                login(request, user)
                messages.success(request, f"Signed in to {user.tenant.name}.")
                return redirect(next_url or home_url(user))
    else:
        form = SignInForm(initial={"subdomain": host_subdomain or ""})

    return render(
        request,
        "portal/login.html",
        {
            "form": form,
            "next": next_url,
            "host_subdomain": host_subdomain,
            "base_domain": settings.BASE_DOMAIN,
        },
    )


def _authenticate(request, *, subdomain, user_name, password):
    tenant = Tenant.objects.filter(subdomain=subdomain).first()
    if tenant is None:
        # Same password-hashing work as a real attempt, so timing does not reveal accounts.
        User().set_password(password)
        return None
    return authenticate(request, tenant=tenant, username=user_name, password=password)


def home_url(user) -> str:
    """Each person's own start page: where "/" and a sign-in with no `next` lead."""
    if not user.is_authenticated:
        return reverse("portal:login")
    if user.is_tenant_admin:
        return reverse("portal:settings")
    if user.tenant_id is None:
        # Platform staff work in the Django admin; the account pages are not theirs.
        return reverse("admin:index") if user.is_staff else reverse("sso:me")
    return reverse("sso:workspace") if user.is_agent else reverse("sso:me")


@never_cache
@require_safe
def home(request):
    """The site's root (the "Commbox" brand link): admins, agents and end-users each go home."""
    return redirect(home_url(request.user))


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@tenant_admin_required
def settings_view(request):
    """The settings home: one card per module."""
    tenant = request.tenant
    context = {
        "tenant": tenant,
        "active_tokens": ApiToken.objects.for_tenant(tenant).active().count(),
        "user_count": User.objects.for_tenant(tenant).count(),
        "group_count": Group.objects.for_tenant(tenant).count(),
        "role_count": Role.objects.for_tenant(tenant).count(),
        "intervals": selectors.requests_per_interval(tenant, now=timezone.now()),
    }
    return render(request, "portal/settings.html", context)
