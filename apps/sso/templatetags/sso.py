"""Single sign-on on pages other apps own (the sign-in page, the settings home).

Those apps sit below sso and cannot import it; their templates load these tags instead.
"""

from django import template

from apps.sso.models import EXPIRY_WARNING, SsoSettings
from apps.tenants.models import Tenant

register = template.Library()


def _named_account(context, subdomain: str | None) -> str:
    """The account the sign-in page is for: the host's, or on a plain host ?account= (a link
    an admin can hand out: /login/?account=<subdomain>)."""
    request = context.get("request")
    if not subdomain and request is not None:
        subdomain = (request.GET.get("account") or "").strip()[:63]
    return (subdomain or "").lower()


@register.inclusion_tag("sso/_sign_in_button.html", takes_context=True)
def sso_sign_in(context, subdomain=None):
    """The "Sign in with Microsoft Entra ID" button, only once the account is known and has
    single sign-on on; nothing otherwise (an unknown account looks like one without)."""
    subdomain = _named_account(context, subdomain)
    sso_settings = (
        SsoSettings.objects.enabled_for_subdomain(subdomain).first() if subdomain else None
    )
    return {"sso": sso_settings, "next": context.get("next", "")}


@register.inclusion_tag("sso/_find_account.html", takes_context=True)
def sso_find_account(context, subdomain=None):
    """On a sign-in page that knows no account yet, a way to single sign-on through the
    account's subdomain, if any account here has single sign-on at all."""
    offered = not _named_account(context, subdomain) and SsoSettings.objects.enabled().exists()
    return {"offered": offered, "next": context.get("next", "")}


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
