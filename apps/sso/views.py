from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.groups.models import GroupMembership
from apps.metrics import REFUSED_REQUESTS
from apps.sso import saml, services
from apps.sso.forms import (
    AgentCreationForm,
    ManualIdpForm,
    MetadataUploadForm,
    MetadataUrlForm,
    SsoOptionsForm,
)
from apps.sso.models import EXPIRY_WARNING, SsoSettings
from apps.tenants.decorators import tenant_admin_required
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tenants.models import Tenant

# The session records how its user signed in (the sign-in page and the profile say so).
SIGNED_IN_WITH = "signed_in_with"
# After an SSO sign-in: the NameID, its format and the SessionIndex, for single logout.
SSO_SESSION = "sso_session"
# Ties an ACS POST to the browser that started the sign-in. SameSite=None so that it comes
# back with the IdP's cross-site POST, which browsers accept only with Secure; browsers
# honour Secure cookies on http://127.0.0.1 and http://*.localhost, so the quick start works.
BROWSER_COOKIE = "sso_browser"
BROWSER_COOKIE_PATH = "/sso/"


# Which account a flow URL is for -----------------------------------------------------------


def _subdomain_of_request(request, subdomain: str | None) -> str:
    """The account named by the host (<subdomain>.<BASE_DOMAIN>) or, on another host, the path."""
    host_subdomain = tenant_subdomain_of_host(request.get_host())
    if subdomain is None:
        subdomain = host_subdomain
    elif host_subdomain is not None and host_subdomain != subdomain.lower():
        subdomain = None  # another account's path on this account's host
    if not subdomain:
        raise Http404("No account is named in this address.")
    return subdomain.lower()


def _tenant_of_request(request, subdomain: str | None) -> Tenant:
    return get_object_or_404(Tenant, subdomain=_subdomain_of_request(request, subdomain))


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _safe_next(request, url: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else ""


def _landing_url(user) -> str:
    return reverse("sso:workspace") if user.is_agent else reverse("sso:me")


# The flows ---------------------------------------------------------------------------------


# One answer for an account that does not exist and for one without single sign-on: the
# same status, the same page and the same single query, so it cannot tell which subdomains
# exist (the password form does not either).
NO_SINGLE_SIGN_ON = (
    "No account with single sign-on has this subdomain. Check the subdomain with your admin, "
    "or sign in with a password."
)


def _tenant_with_sso(subdomain: str) -> Tenant | None:
    sso_settings = SsoSettings.objects.enabled_for_subdomain(subdomain).first()
    return sso_settings.tenant if sso_settings is not None else None


@require_GET
def start(request):
    """Sign in with Microsoft Entra ID on a host that names no account: ask which one."""
    next_url = _safe_next(request, request.GET.get("next", ""))
    subdomain = (request.GET.get("account") or "").strip().lower()[:63]
    tenant = _tenant_with_sso(subdomain) if subdomain else None
    if tenant is None:
        error = NO_SINGLE_SIGN_ON if subdomain else ""
        context = {"account": subdomain, "error": error, "next": next_url}
        return render(request, "sso/start.html", context, status=404 if error else 200)
    sp = services.service_provider(tenant, _base_url(request))
    return redirect(sp.sign_on_url + (f"?{urlencode({'next': next_url})}" if next_url else ""))


@never_cache
@require_GET
def sign_on(request, subdomain=None):
    """SP-initiated sign-in: 302 to the IdP with a SAMLRequest (HTTP-Redirect binding).

    An account without single sign-on gets the 404 of an account that does not exist."""
    tenant = _tenant_with_sso(_subdomain_of_request(request, subdomain))
    if tenant is None:
        raise Http404(NO_SINGLE_SIGN_ON)
    sp = services.service_provider(tenant, _base_url(request))
    try:
        started = services.start_sign_in(
            tenant=tenant,
            sp=sp,
            next_url=_safe_next(request, request.GET.get("next", "")),
            client_address=get_client_ip_address(request),
        )
    except ValidationError as error:
        return _refused(request, tenant, error.messages[0], status=403)
    except services.TooManyAttempts as error:
        return _too_many(request, tenant, error)
    return _to_idp(started)


def _to_idp(started: services.SignInStart):
    response = redirect(started.url)
    response.set_cookie(
        BROWSER_COOKIE,
        started.browser_nonce,
        max_age=settings.SSO_REQUEST_TTL_SECONDS,
        path=BROWSER_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="None",
    )
    return response


@csrf_exempt  # the IdP's cross-site POST; the signed response is what is checked
@never_cache
@require_POST
def acs(request, subdomain=None):
    """Assertion Consumer Service: verify the response, then (and only then) set the session."""
    tenant = _tenant_of_request(request, subdomain)
    sp = services.service_provider(tenant, _base_url(request))
    try:
        result = services.complete_sign_in(
            tenant=tenant,
            sp=sp,
            saml_response=request.POST.get("SAMLResponse", ""),
            relay_state=request.POST.get("RelayState", ""),
            received_at_url=request.build_absolute_uri(request.path),
            browser_nonce=request.COOKIES.get(BROWSER_COOKIE, ""),
            client_address=get_client_ip_address(request),
        )
    except saml.Refused as refusal:
        response = _refused(request, tenant, refusal.reason, check=refusal.check)
    except services.TooManyAttempts as error:
        response = _too_many(request, tenant, error)
    else:
        if result.test_report_key:
            response = redirect("sso:test_result", token=result.test_report_key)
        else:
            _sign_in(request, tenant, result)
            response = redirect(_safe_next(request, result.next_url) or _landing_url(result.user))
    if BROWSER_COOKIE in request.COOKIES:
        response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH, samesite="None")
    return response


def _sign_in(request, tenant: Tenant, result: services.SignIn) -> None:
    """The session, and what single logout will need to find and end it."""
    login(request, result.user, backend="apps.users.backends.TenantUserBackend")
    request.session[SIGNED_IN_WITH] = "sso"
    identity = result.identity
    if identity is None or result.user is None:
        return
    info = services.SsoSessionInfo(
        name_id=identity.name_id,
        name_id_format=identity.name_id_format,
        session_index=identity.session_index,
    )
    request.session[SSO_SESSION] = {
        "name_id": info.name_id,
        "name_id_format": info.name_id_format,
        "session_index": info.session_index,
    }
    services.remember_sso_session(
        tenant=tenant, user=result.user, session_key=request.session.session_key or "", info=info
    )


def _browser_sso_session(request, tenant: Tenant) -> services.SsoSessionInfo | None:
    """This browser's SSO session with the account, if it has one."""
    stored = request.session.get(SSO_SESSION)
    user = request.user
    if not stored or not user.is_authenticated or user.tenant_id != tenant.pk:
        return None
    return services.SsoSessionInfo(
        name_id=stored.get("name_id", ""),
        name_id_format=stored.get("name_id_format", ""),
        session_index=stored.get("session_index", ""),
    )


@never_cache
@require_POST
def sign_out(request):
    """Sign out; after an SSO sign-in, on to the IdP's logout service with a LogoutRequest
    when it has one (the local session is ended first, whatever the IdP answers).

    The way on is a page that refreshes to the IdP, not a redirect: the Sign out form's
    page has CSP form-action 'self', and browsers hold a form's redirects to it too.
    """
    tenant = request.user.tenant if request.user.is_authenticated else None
    info = _browser_sso_session(request, tenant) if tenant is not None else None
    idp_url = ""
    if tenant is not None and info is not None:
        idp_url = services.start_logout(
            tenant=tenant,
            sp=services.service_provider(tenant, _base_url(request)),
            session_key=request.session.session_key,
            info=info,
        )
    logout(request)
    if idp_url:
        return render(request, "sso/signing_out.html", {"tenant": tenant, "idp_url": idp_url})
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@csrf_exempt  # the IdP's cross-site POST (HTTP-POST binding); the message is what is checked
@never_cache
@require_http_methods(["GET", "POST"])
def slo(request, subdomain=None):
    """Single logout service: the IdP's LogoutRequest (both bindings) or its LogoutResponse."""
    tenant = _tenant_of_request(request, subdomain)
    data = request.GET if request.method == "GET" else request.POST
    names = ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature")
    binding = saml.LogoutBinding(
        name="redirect" if request.method == "GET" else "post",
        parameters={name: data[name] for name in names if name in data},
        raw_query=request.META.get("QUERY_STRING", ""),
    )
    try:
        outcome = services.receive_logout(
            tenant=tenant,
            sp=services.service_provider(tenant, _base_url(request)),
            binding=binding,
            received_at_url=request.build_absolute_uri(request.path),
            browser_session_key=request.session.session_key,
            browser=_browser_sso_session(request, tenant),
            client_address=get_client_ip_address(request),
        )
    except saml.Refused as refusal:
        return _logout_refused(request, tenant, refusal)
    except services.TooManyAttempts as error:
        return _too_many(request, tenant, error)
    if request.session.session_key in outcome.ended_session_keys:
        logout(request)
    if outcome.redirect_url:
        return redirect(outcome.redirect_url)
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _logout_refused(request, tenant, refusal: saml.Refused):
    return render(
        request,
        "sso/logout_refused.html",
        {"tenant": tenant, "reason": refusal.reason, "check": refusal.check},
        status=400 if refusal.check == "format" else 403,
    )


def _refused(request, tenant, reason: str, *, check: str = "", status: int = 403):
    return render(
        request,
        "sso/refused.html",
        {"tenant": tenant, "reason": reason, "check": check},
        status=status,
    )


def _too_many(request, tenant, error: services.TooManyAttempts):
    REFUSED_REQUESTS.labels("sso", "throttled").inc()
    response = render(
        request,
        "sso/too_many.html",
        {"tenant": tenant, "reason": error.reason, "minutes": error.minutes},
        status=429,
    )
    response["Retry-After"] = str(error.minutes * 60)
    return response


@require_GET
def metadata(request, subdomain=None):
    """Our SP metadata XML (Entra: Basic SAML Configuration → Upload metadata file)."""
    tenant = _tenant_of_request(request, subdomain)
    sp = services.service_provider(tenant, _base_url(request))
    return HttpResponse(
        saml.service_provider_metadata(sp), content_type="application/samlmetadata+xml"
    )


# Landing pages -----------------------------------------------------------------------------


@login_required
def me(request):
    """Your profile: who is signed in (the automation contract reads the userName here)."""
    return render(
        request,
        "sso/me.html",
        {"profile": request.user, "signed_in_with": request.session.get(SIGNED_IN_WITH, "")},
    )


@login_required
def workspace(request):
    """Agents' and admins' landing page: their role and groups."""
    user = request.user
    if user.tenant_id is None or not user.is_agent:
        raise PermissionDenied("The workspace is for the account's agents and admins.")
    memberships = (
        GroupMembership.objects.filter(user=user)
        .select_related("group")
        .order_by("group__display_name")
    )
    return render(
        request,
        "sso/workspace.html",
        {"profile": user, "groups": [m.group for m in memberships]},
    )


# Settings → SSO ----------------------------------------------------------------------------


def _settings_page(request, **forms):
    tenant = request.tenant
    sso_settings = services.get_sso_settings(tenant)
    host_sp = services.service_provider(tenant, _base_url(request))
    context = {
        "tenant": tenant,
        "sso": sso_settings,
        "sp": host_sp,
        "certificates": list(sso_settings.certificates.all()),
        "expires_soon": sso_settings.certificates_expire_soon(),
        "warning_days": EXPIRY_WARNING.days,
        "attempts": services.recent_sign_in_attempts(tenant),
        "upload_form": forms.get("upload_form") or MetadataUploadForm(),
        "url_form": forms.get("url_form")
        or MetadataUrlForm(initial={"metadata_url": sso_settings.metadata_url}),
        "manual_form": forms.get("manual_form")
        or ManualIdpForm(
            initial={
                "idp_entity_id": sso_settings.idp_entity_id,
                "idp_sso_url": sso_settings.idp_sso_url,
                "idp_slo_url": sso_settings.idp_slo_url,
            }
        ),
        "options_form": forms.get("options_form")
        or SsoOptionsForm(
            initial={
                "enabled": sso_settings.enabled_at is not None,
                "idp_initiated": sso_settings.allows_idp_initiated,
                "require_sso": sso_settings.sso_required_at is not None,
                "sign_requests": sso_settings.requests_signed_at is not None,
                "require_signed_logout": sso_settings.requires_signed_logout,
                "match_by": sso_settings.match_by,
            }
        ),
    }
    return render(request, "sso/settings.html", context, status=400 if forms else 200)


@tenant_admin_required
@require_GET
def settings_view(request):
    return _settings_page(request)


@tenant_admin_required
@require_POST
def upload_metadata(request):
    form = MetadataUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.configure_from_metadata(
                tenant=request.tenant,
                actor=request.user,
                metadata=form.cleaned_data["metadata_file"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The identity provider was read from the metadata file.")
            return redirect("sso:settings")
    return _settings_page(request, upload_form=form)


@tenant_admin_required
@require_POST
def set_metadata_url(request):
    form = MetadataUrlForm(request.POST)
    if form.is_valid():
        try:
            services.configure_from_metadata_url(
                tenant=request.tenant, actor=request.user, url=form.cleaned_data["metadata_url"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The identity provider was read from the metadata URL.")
            return redirect("sso:settings")
    return _settings_page(request, url_form=form)


@tenant_admin_required
@require_POST
def refresh_metadata(request):
    try:
        services.refresh_metadata(tenant=request.tenant, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "The metadata URL was read again.")
    return redirect("sso:settings")


@tenant_admin_required
@require_POST
def configure_manually(request):
    form = ManualIdpForm(request.POST)
    if form.is_valid():
        try:
            services.configure_manually(
                tenant=request.tenant,
                actor=request.user,
                entity_id=form.cleaned_data["idp_entity_id"],
                sso_url=form.cleaned_data["idp_sso_url"],
                slo_url=form.cleaned_data["idp_slo_url"],
                certificates=form.cleaned_data["certificates"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The identity provider was saved.")
            return redirect("sso:settings")
    return _settings_page(request, manual_form=form)


@tenant_admin_required
@require_POST
def set_agent_creation(request):
    form = AgentCreationForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("sso:settings")
    services.set_agent_creation(
        tenant=request.tenant,
        actor=request.user,
        enabled=form.cleaned_data["creates_agents"],
        role=form.cleaned_data["new_agent_role"],
    )
    if form.cleaned_data["creates_agents"]:
        messages.success(request, "People Entra signs in who are not users yet become agents.")
    else:
        messages.success(request, "Single sign-on signs in existing users only.")
    return redirect("sso:settings")


@tenant_admin_required
@require_POST
def set_options(request):
    form = SsoOptionsForm(request.POST)
    if form.is_valid():
        try:
            services.set_sso_options(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The single sign-on settings were saved.")
            return redirect("sso:settings")
    return _settings_page(request, options_form=form)


@tenant_admin_required
@require_GET
def sp_certificate(request):
    """Our signing certificate, for Entra's SAML Certificates → Verification certificates."""
    sso_settings = services.get_sso_settings(request.tenant)
    if not sso_settings.signs_requests:
        raise Http404("This account does not sign its sign-in requests.")
    response = HttpResponse(sso_settings.sp_certificate, content_type="application/pkix-cert")
    filename = f"commbox-{request.tenant.subdomain}-saml-signing.cer"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@tenant_admin_required
@require_POST
def test_start(request):
    """Run the flow for the admin; the ACS reports instead of signing anyone in or out."""
    sp = services.service_provider(request.tenant, _base_url(request))
    try:
        started = services.start_sign_in(tenant=request.tenant, sp=sp, test_by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("sso:settings")
    return _to_idp(started)


@tenant_admin_required
@require_GET
def test_result(request, token):
    report = services.get_test_report(token, admin=request.user)
    if report is None:
        raise Http404("This test report has expired or belongs to someone else.")
    return render(request, "sso/test_result.html", {"tenant": request.tenant, "report": report})
