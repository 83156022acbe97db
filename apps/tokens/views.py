import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from apps.audit import selectors, tokenless
from apps.audit.models import AuditEvent, Channel, ScimRequest
from apps.tenants.decorators import tenant_admin_required
from apps.tokens import services
from apps.tokens.forms import (
    ProvisioningRoleForm,
    ScimAdminGrantsForm,
    TokenAccessForm,
    TokenAddForm,
    TokenSaveForm,
)
from apps.tokens.models import ApiToken


@tenant_admin_required
def token_list(request):
    tokens = ApiToken.objects.for_tenant(request.tenant).active()
    return render(
        request,
        "tokens/list.html",
        {"tokens": tokens, "tenant": request.tenant, "tab": "tokens", "add_form": _add_form()},
    )


def _add_form():
    return TokenAddForm(initial={"nonce": secrets.token_urlsafe(32)})


# never_cache: the response to the POST holds the secret, and no cache or back button
# may keep a copy of it; sensitive_variables keeps it out of error reports.
@never_cache
@require_http_methods(["GET", "POST"])
@tenant_admin_required
@sensitive_variables("secret")
def token_create(request):
    """Add API token: generate a token and show it once, with the description to save."""
    if request.method == "GET":
        return render(request, "tokens/create.html", {"add_form": _add_form(), "tab": "tokens"})

    form = TokenAddForm(request.POST)
    if not form.is_valid():
        messages.warning(request, "That page was out of date, so no token was generated.")
        return render(request, "tokens/create.html", {"add_form": _add_form(), "tab": "tokens"})
    try:
        token, secret = services.generate_token(
            tenant=request.tenant, actor=request.user, nonce=form.cleaned_data["nonce"]
        )
    except ValidationError as error:
        if error.code != "duplicate":
            raise
        messages.warning(
            request,
            "Add API token was pressed twice (or the page was reloaded), so no second "
            "token was generated. A token is shown only once; add a new one if you need it.",
        )
        return redirect("tokens:list")
    return render(
        request,
        "tokens/created.html",
        {"token": token, "secret": secret, "form": TokenSaveForm(), "tab": "tokens"},
    )


@never_cache
@require_POST
@tenant_admin_required
def token_save(request, token_id):
    """Save: the generated token gets its description and starts to work."""
    token = services.get_generated_token_for(request.tenant, token_id)
    form = TokenSaveForm(request.POST)
    if form.is_valid():
        try:
            services.save_token(
                tenant=request.tenant,
                actor=request.user,
                token=token,
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            if error.code == "saved":
                messages.info(request, f"API token “{token.description}” was already saved.")
                return redirect("tokens:list")
            if error.code == "expired":
                messages.warning(request, error.messages[0])
                return redirect("tokens:list")
            form.add_error("description", error)
        else:
            messages.success(request, f"API token “{token.description}” was saved.")
            return redirect("tokens:list")
    # The secret is not kept anywhere, so a failed Save shows the truncated form only.
    return render(
        request,
        "tokens/created.html",
        {"token": token, "secret": None, "form": form, "tab": "tokens"},
    )


@require_POST
@tenant_admin_required
def token_discard(request, token_id):
    """Close without saving: the generated token is deleted; it never worked."""
    token = services.get_generated_token_for(request.tenant, token_id)
    if services.discard_token(tenant=request.tenant, token=token):
        messages.info(
            request, f"The new token {token.truncated} was discarded; it was never usable."
        )
    elif token.is_saved:
        messages.info(
            request, f"API token “{token.description}” was saved already; revoke it to stop it."
        )
    return redirect("tokens:list")


@tenant_admin_required
def token_detail(request, token_id):
    token = services.get_token_for(request.tenant, token_id)
    return render(request, "tokens/detail.html", {"token": token, "tab": "tokens"})


@require_http_methods(["GET", "POST"])
@tenant_admin_required
def token_revoke(request, token_id):
    token = services.get_token_for(request.tenant, token_id)
    if token.is_revoked:
        messages.info(request, f"API token “{token.description}” was already revoked.")
        return redirect("tokens:detail", token_id=token.public_id)
    if request.method == "POST":
        services.revoke_token(tenant=request.tenant, actor=request.user, token=token)
        messages.success(
            request,
            f"API token “{token.description}” ({token.truncated}) was revoked; "
            "requests that send it now get 401.",
        )
        return redirect("tokens:list")
    return render(request, "tokens/revoke.html", {"token": token, "tab": "tokens"})


@require_http_methods(["GET", "POST"])
@tenant_admin_required
def token_settings(request):
    tenant = request.tenant
    if request.method == "POST":
        form = TokenAccessForm(request.POST)
        if form.is_valid():
            enabled = form.cleaned_data["token_access"]
            if not enabled and tenant.has_token_access:
                # Switching off stops Entra's provisioning at once: ask first.
                return redirect("tokens:switch_off")
            changed = enabled != tenant.has_token_access
            services.set_token_access(tenant=tenant, actor=request.user, enabled=enabled)
            if not changed:
                messages.info(request, f"Token Access was already {_on_off(enabled)}.")
            else:
                messages.success(request, "Token Access is on: active API tokens are accepted.")
            return redirect("tokens:settings")
    else:
        form = TokenAccessForm(initial={"token_access": tenant.has_token_access})
    return render(
        request, "tokens/settings.html", {"form": form, "tenant": tenant, "tab": "settings"}
    )


@require_http_methods(["GET", "POST"])
@tenant_admin_required
def token_access_off(request):
    """The confirmation before Token Access goes off, and switching it off."""
    tenant = request.tenant
    if not tenant.has_token_access:
        messages.info(request, "Token Access was already off.")
        return redirect("tokens:settings")
    if request.method == "POST":
        services.set_token_access(tenant=tenant, actor=request.user, enabled=False)
        messages.warning(
            request,
            "Token Access is off: every API token of this account is refused with 401, "
            "so Microsoft Entra ID's provisioning stops until it is switched on again.",
        )
        return redirect("tokens:settings")
    active_tokens = ApiToken.objects.for_tenant(tenant).active().count()
    return render(
        request,
        "tokens/token_access_off.html",
        {"tenant": tenant, "tab": "settings", "active_tokens": active_tokens},
    )


def _on_off(enabled: bool) -> str:
    return "on" if enabled else "off"


@require_http_methods(["GET", "POST"])
@tenant_admin_required
def provisioning(request):
    tenant = request.tenant
    if request.method == "POST":
        form = ProvisioningRoleForm(request.POST)
        if form.is_valid():
            try:
                services.set_provisioning_role(
                    tenant=tenant, actor=request.user, role=form.cleaned_data["role"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"Users that Entra ID creates without a role now get the "
                    f"{form.cleaned_data['role']} role.",
                )
                return redirect("tokens:provisioning")
    else:
        form = ProvisioningRoleForm(initial={"role": tenant.provisioning_role})
    log = selectors.request_log_page(
        tenant, problems_only=request.GET.get("log") == "problems", before=_log_cursor(request)
    )
    now = timezone.now()
    return render(
        request,
        "tokens/provisioning.html",
        {
            "form": form,
            "admin_grants_form": ScimAdminGrantsForm(
                initial={"scim_may_grant_admin": tenant.scim_may_grant_admin}
            ),
            "tenant": tenant,
            "tab": "provisioning",
            "tenant_url": request.build_absolute_uri("/scim/v2"),
            "subdomain_tenant_url": _subdomain_tenant_url(request, tenant),
            "admin_user_name": request.user.user_name,
            "domain": tenant.subdomain,
            "base_domain": settings.BASE_DOMAIN,
            "checklist": _setup_checklist(tenant),
            "log": log,
            "log_rows": selectors.named_paths(tenant, log.rows),
            # Open when the admin filtered or paged it; a fresh visit shows the setup first.
            "log_open": "log" in request.GET or "before" in request.GET,
            "attempts": AuditEvent.objects.for_tenant(tenant).filter(channel=Channel.SSO)[:20],
            "requests_without_token": tokenless.requests_without_token(tenant.pk),
            "without_token_hours": tokenless.WINDOWS_SHOWN * tokenless.WINDOW_SECONDS // 3600,
            "cycles": selectors.sync_cycles(tenant, now=now),
            "intervals": selectors.requests_per_interval(tenant, now=now),
            "quiet_gap_minutes": int(selectors.QUIET_GAP.total_seconds() // 60),
        },
    )


def _log_cursor(request) -> int | None:
    before = request.GET.get("before", "")
    return int(before) if before.isdigit() and 0 < int(before) < 2**63 else None


def _setup_checklist(tenant) -> dict:
    """What Entra needs from this side, and what it did last."""
    return {
        "token_access": tenant.has_token_access,
        "saved_tokens": ApiToken.objects.for_tenant(tenant).active().count(),
        "last_request": ScimRequest.objects.filter(tenant=tenant)
        .select_related("token")
        .order_by("-id")
        .first(),
    }


@require_POST
@tenant_admin_required
def scim_admin_grants(request):
    form = ScimAdminGrantsForm(request.POST)
    form.is_valid()  # A checkbox: absent means off, so the form is always valid.
    enabled = form.cleaned_data["scim_may_grant_admin"]
    services.set_scim_admin_grants(tenant=request.tenant, actor=request.user, enabled=enabled)
    if enabled:
        messages.success(request, "Entra ID may now make users admins of this account.")
    else:
        messages.success(
            request, "Entra ID may not make users admins; SCIM requests that try get 400."
        )
    return redirect("tokens:provisioning")


def _subdomain_tenant_url(request, tenant) -> str:
    """The tenant's own address: <scheme>://<subdomain>.<BASE_DOMAIN>[:port]/scim/v2."""
    host = request.get_host()
    port = ""
    if not host.endswith("]") and ":" in host:
        port = ":" + host.rsplit(":", 1)[1]
    return f"{request.scheme}://{tenant.subdomain}.{settings.BASE_DOMAIN}{port}/scim/v2"
