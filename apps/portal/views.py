from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponseRedirect
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
from apps.portal import selectors as status
from apps.portal.forms import SignInForm
from apps.roles.models import Role
from apps.tenants.decorators import tenant_admin_required
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tokens.models import ApiToken
from apps.tokens.selectors import expiry_notices
from apps.users.models import User

# The one answer to every failed sign-in: wrong password, unknown account or username, a
# user who is not an admin, a deactivated admin. Nothing says which it was.
SIGN_IN_FAILED = "The account, username or password is not right."


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    """Tenant admins sign in with account (subdomain), userName and password.

    On <subdomain>.<BASE_DOMAIN> only that account signs in. Failures are throttled by
    django-axes (apps/portal/throttling.py), which answers a locked-out request itself.
    """
    host_subdomain = tenant_subdomain_of_host(request.get_host())
    next_url = _safe_next_url(request)

    if request.user.is_authenticated and request.user.is_tenant_admin and request.method == "GET":
        return HttpResponseRedirect(next_url or home_url(request.user))

    if request.method == "POST":
        form = SignInForm(request.POST)
        user = _signed_in(request, form, host_subdomain) if form.is_valid() else None
        if user is not None:
            return HttpResponseRedirect(next_url or home_url(user))
    else:
        # A sign-in link an admin hands out names the account: /login/?account=<subdomain>.
        named = request.GET.get("account", "").strip().lower()[:63]
        form = SignInForm(initial={"subdomain": host_subdomain or named})

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


def _signed_in(request, form: SignInForm, host_subdomain: str | None):
    """The user the valid form signs in, signed in now; else None, with the form's error."""
    subdomain = form.cleaned_data["subdomain"]
    if host_subdomain is not None and subdomain != host_subdomain:
        form.add_error(
            "subdomain",
            f"This address signs in to {host_subdomain} only. To sign in to "
            f"{subdomain}, go to {request.scheme}://{subdomain}.{settings.BASE_DOMAIN}"
            f"{reverse('portal:login')}.",
        )
        return None
    user = authenticate(
        request,
        subdomain=subdomain,
        username=form.cleaned_data["user_name"],
        password=form.cleaned_data["password"],
    )
    if user is None or user.tenant is None:
        form.add_error(None, SIGN_IN_FAILED)
        return None
    login(request, user)
    messages.success(request, f"Signed in to {user.tenant.name}.")
    return user


def _safe_next_url(request) -> str:
    """The `next` path to return to after signing in, if it is a path on this site; else ""."""
    # Only a path: a name or a relative value is not resolved (it once answered 500),
    # and another host or scheme is an open redirect.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


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
    """The settings home, a status page: what needs attention, then one card per module."""
    tenant = request.tenant
    now = timezone.now()
    intervals = selectors.requests_per_interval(tenant, now=now)
    context = {
        "tenant": tenant,
        "attention": status.attention(
            tenant, now=now, tenant_url=request.build_absolute_uri("/scim/v2")
        ),
        "has_expiry_notices": bool(expiry_notices(tenant, now=now)),
        "active_tokens": ApiToken.objects.for_tenant(tenant).active().count(),
        # From the tenant's counters: a COUNT of a million rows took longer than the page.
        "user_count": User.objects.count_for(tenant),
        "group_count": Group.objects.for_tenant(tenant).count(),
        "role_count": Role.objects.for_tenant(tenant).count(),
        "scim_requests": sum(interval.total for interval in intervals),
        "scim_refused": sum(interval.counts["refused"] for interval in intervals),
    }
    return render(request, "portal/settings.html", context)
