import hmac
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from apps.audit import selectors, tokenless
from apps.audit.models import AuditEvent, Channel, ScimRequest
from apps.tenants.decorators import tenant_admin_required
from apps.tokens import selectors as token_selectors
from apps.tokens import services
from apps.tokens.forms import (
    ProvisioningRoleForm,
    ScimAdminGrantsForm,
    TokenAccessForm,
    TokenAddForm,
    TokenDescriptionForm,
    TokenLifetimeForm,
    TokenSaveForm,
)
from apps.tokens.models import ApiToken
from apps.tokens.secrets import digest_of, is_well_formed


@tenant_admin_required
def token_list(request):
    tokens = (
        ApiToken.objects.for_tenant(request.tenant)
        .active()
        .select_related("replaces")
        .prefetch_related("replacements")
    )
    return render(
        request,
        "tokens/list.html",
        {
            "tokens": tokens,
            "tenant": request.tenant,
            "tab": "tokens",
            "add_form": _add_form(),
            "entra_token_id": token_selectors.last_used_by_entra(request.tenant),
        },
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
    return _dialog(request, token, TokenSaveForm(tenant=request.tenant), secret)


@never_cache
@require_POST
@tenant_admin_required
@sensitive_variables("secret")
def token_replace(request, token_id):
    """Replace: generate a token to show once, which takes over from this one when saved."""
    old = services.get_token_for(request.tenant, token_id)
    form = TokenAddForm(request.POST)
    if not form.is_valid():
        messages.warning(request, "That page was out of date, so no token was generated.")
        return redirect("tokens:detail", token_id=old.public_id)
    try:
        token, secret = services.generate_token(
            tenant=request.tenant,
            actor=request.user,
            nonce=form.cleaned_data["nonce"],
            replaces=old,
        )
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
        return redirect("tokens:detail", token_id=old.public_id)
    return _dialog(request, token, TokenSaveForm(tenant=request.tenant), secret)


@sensitive_variables("secret")
def _dialog(request, token: ApiToken, form: TokenSaveForm, secret: str | None):
    """The show-once dialog (a page without JavaScript): the token, description, expiry."""
    if secret:
        form.initial["secret"] = secret
    taken = services.descriptions_in_use(
        request.tenant, exclude=tuple(pk for pk in (token.pk, token.replaces_id) if pk)
    )
    return render(
        request,
        "tokens/created.html",
        {
            "token": token,
            "secret": secret,
            "form": form,
            "tab": "tokens",
            "taken_descriptions": sorted(taken),
        },
    )


# The field a refusal of the service is shown beside.
SAVE_ERROR_FIELDS = {"max_lifetime": "expires", "invalid_date": "expires_on"}


# The generated token is posted back with Save so that a refused Save can show it again:
# sensitive_post_parameters keeps it out of error reports, and it is shown only if it is
# the token being saved (its digest), so the page cannot be made to show anything else.
@never_cache
@require_POST
@tenant_admin_required
@sensitive_post_parameters("secret")
@sensitive_variables("secret")
def token_save(request, token_id):
    """Save: the generated token gets its description and expiry, and starts to work."""
    token = services.get_generated_token_for(request.tenant, token_id)
    form = TokenSaveForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            _save(request, token, form.cleaned_data)
        except ValidationError as error:
            if error.code in ("saved", "expired"):
                messages.warning(request, _gone_message(token, error))
                return redirect("tokens:list")
            form.add_error(SAVE_ERROR_FIELDS.get(error.code or "", "description"), error)
        else:
            messages.success(request, _saved_message(token))
            return redirect("tokens:list")
    secret = request.POST.get("secret", "")
    return _dialog(request, token, form, secret if _is_secret_of(token, secret) else None)


def _save(request, token: ApiToken, data: dict) -> None:
    tenant = request.tenant
    try:
        expires_at = services.expiry_from(
            tenant=tenant, days=data["expires_in_days"], on=data["expires_on"]
        )
    except ValidationError as error:
        on_date = data["expires_on"] is not None and error.code != "max_lifetime"
        code = "invalid_date" if on_date else "max_lifetime"
        raise ValidationError(error.messages[0], code=code) from error
    overlap = services.overlap_from(data["overlap_hours"] or 24) if token.replaces_id else None
    services.save_token(
        tenant=tenant,
        actor=request.user,
        token=token,
        description=data["description"],
        expires_at=expires_at,
        overlap=overlap,
    )


@sensitive_variables("secret")
def _is_secret_of(token: ApiToken, secret: str) -> bool:
    """True if `secret` is the unsaved token's own secret (compared by digest)."""
    if token.is_saved or not is_well_formed(secret):
        return False
    return hmac.compare_digest(digest_of(secret), token.digest)


def _gone_message(token: ApiToken, error: ValidationError) -> str:
    if error.code == "saved":
        return f"API token “{token.description}” was already saved."
    return error.messages[0]


def _saved_message(token: ApiToken) -> str:
    expiry = (
        f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "does not expire"
    )
    message = f"API token “{token.description}” was saved. It {expiry}."
    old = token.replaces
    if old is not None and old.expires_at is not None and not old.is_revoked:
        message += (
            f" The token it replaces ({old.truncated}) keeps working until "
            f"{old.expires_at:%Y-%m-%d %H:%M} UTC, then is refused."
        )
    return message


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
    return _detail(request, token, TokenDescriptionForm(initial={"description": token.description}))


def _detail(request, token: ApiToken, description_form: TokenDescriptionForm):
    replacement = token.replacements.filter(saved_at__isnull=False).first()
    return render(
        request,
        "tokens/detail.html",
        {
            "token": token,
            "tab": "tokens",
            "description_form": description_form,
            "replacement": replacement,
            "replace_form": _add_form(),
            "can_replace": token.is_active and replacement is None,
            "used_last_by_entra": token_selectors.last_used_by_entra(request.tenant) == token.pk,
        },
    )


@require_POST
@tenant_admin_required
def token_describe(request, token_id):
    """Change a saved token's description."""
    token = services.get_token_for(request.tenant, token_id)
    form = TokenDescriptionForm(request.POST)
    if form.is_valid():
        before = token.description
        try:
            services.describe_token(
                tenant=request.tenant,
                actor=request.user,
                token=token,
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error("description", error)
        else:
            messages.success(request, f"API token “{before}” is now “{token.description}”.")
            return redirect("tokens:detail", token_id=token.public_id)
    token.refresh_from_db(fields=["description"])
    return _detail(request, token, form)


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
    return _settings_page(request, form, _lifetime_form(tenant))


def _lifetime_form(tenant) -> TokenLifetimeForm:
    return TokenLifetimeForm(initial={"max_days": tenant.token_max_lifetime_days or ""})


def _settings_page(request, form: TokenAccessForm, lifetime_form: TokenLifetimeForm):
    return render(
        request,
        "tokens/settings.html",
        {
            "form": form,
            "lifetime_form": lifetime_form,
            "tenant": request.tenant,
            "tab": "settings",
        },
    )


@require_POST
@tenant_admin_required
def token_lifetime(request):
    """The account's longest token lifetime (Settings tab)."""
    tenant = request.tenant
    form = TokenLifetimeForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data["max_days"]
        try:
            services.set_token_max_lifetime(tenant=tenant, actor=request.user, days=days)
        except ValidationError as error:
            form.add_error("max_days", error)
        else:
            messages.success(
                request,
                f"New API tokens must expire within {days} days."
                if days
                else "New API tokens may be given any lifetime, or none.",
            )
            return redirect("tokens:settings")
    access_form = TokenAccessForm(initial={"token_access": tenant.has_token_access})
    return _settings_page(request, access_form, form)


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
