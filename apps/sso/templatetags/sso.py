"""Single sign-on on pages other apps own (the sign-in page, the settings home).

Those apps sit below sso and cannot import it; their templates load these tags instead.
"""

from django import template

from apps.sso.models import EXPIRY_WARNING, SsoSettings
from apps.tenants.models import Tenant

register = template.Library()


@register.inclusion_tag("sso/_sign_in_button.html", takes_context=True)
def sso_sign_in(context, subdomain=None):
    """The "Sign in with Microsoft Entra ID" button, for the account when it is known.

    The account comes from the host, or on a plain host from ?account= (a link an admin
    can hand out: /login/?account=<subdomain>).
    """
    request = context.get("request")
    if not subdomain and request is not None:
        subdomain = (request.GET.get("account") or "").strip()
    sso_settings = None
    if subdomain:
        sso_settings = (
            SsoSettings.objects.filter(tenant__subdomain=subdomain.lower())
            .select_related("tenant")
            .first()
        )
    return {
        "request": request,
        "subdomain": subdomain or "",
        "sso": sso_settings if sso_settings and sso_settings.is_enabled else None,
        "next": context.get("next", ""),
    }


@register.inclusion_tag("sso/_settings_card.html")
def sso_settings_card(tenant: Tenant):
    """The SSO card on the settings home, with the certificate expiry warning."""
    sso_settings = SsoSettings.objects.filter(tenant=tenant).first()
    return {
        "sso": sso_settings,
        "expires_soon": bool(sso_settings and sso_settings.certificates_expire_soon()),
        "warning_days": EXPIRY_WARNING.days,
    }


@register.simple_tag
def sso_attention(tenant: Tenant) -> list[str]:
    """What the settings home's "What needs attention" says about single sign-on: set up
    half way (an identity provider but switched off, or on without one), or its last
    certificate expiring."""
    sso_settings = SsoSettings.objects.filter(tenant=tenant).first()
    if sso_settings is None:
        return []
    items = []
    if sso_settings.has_idp and not sso_settings.is_enabled:
        items.append(
            "Single sign-on is set up half way: the identity provider is set, but single "
            "sign-on is off, so nobody can use it yet."
        )
    if sso_settings.is_enabled and not sso_settings.has_idp:
        items.append(
            "Single sign-on is on but has no identity provider, so every sign-in with it "
            "fails: load Entra's metadata."
        )
    if sso_settings.certificates_expire_soon():
        expiry = sso_settings.last_certificate_expiry()
        items.append(
            f"Entra's signing certificate expires on {expiry:%Y-%m-%d}: add the new one in "
            "Entra and press Refresh on the single sign-on page."
        )
    return items
