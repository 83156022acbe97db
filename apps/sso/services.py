"""Single sign-on: configuring an account's IdP, starting a sign-in, and completing it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, astuple, dataclass
from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditAction, AuditEvent, Channel
from apps.audit.services import diff, record_event
from apps.metrics import SSO_SIGN_INS
from apps.roles.models import BuiltinRole, Role
from apps.sso import metadata_fetch, saml
from apps.sso.models import IdpCertificate, MatchBy, SsoSession, SsoSettings
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tenants.models import Tenant
from apps.tenants.rates import parse_rate
from apps.users.models import User
from apps.users.names import checked_name
from apps.users.services import create_user, find_user_by_name

EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"
GIVEN_NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
SURNAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
DISPLAY_NAME_CLAIM = "http://schemas.microsoft.com/identity/claims/displayname"

Actor = User | None


@dataclass(frozen=True)
class SignInStart:
    """Where to send the browser, and the nonce its cookie must carry back to the ACS."""

    url: str
    browser_nonce: str


class TooManyAttempts(Exception):
    """A throttle of anonymous sign-in traffic is exceeded; try again in `minutes`."""

    def __init__(self, reason: str, *, minutes: int):
        super().__init__(reason)
        self.reason = reason
        self.minutes = minutes


@dataclass(frozen=True)
class SignIn:
    """A completed ACS POST: the user to sign in, or a test report for the admin who asked."""

    user: User | None
    next_url: str
    test_report_key: str | None = None
    # What single logout needs later: the NameID (and format) and the SessionIndex.
    identity: saml.Identity | None = None


# Reading -----------------------------------------------------------------------------------


def get_sso_settings(tenant: Tenant) -> SsoSettings:
    """The account's SSO settings, created empty (off) on first use."""
    sso_settings, _ = SsoSettings.objects.get_or_create(tenant=tenant)
    return sso_settings


def service_provider(tenant: Tenant, base_url: str) -> saml.ServiceProvider:
    """Our Entity ID, Reply URL, Sign-on URL and metadata URL for the account at base_url.

    On the account's own host (<subdomain>.<BASE_DOMAIN>) the paths are /sso/saml/...;
    on any other host the account is named in the path: /sso/<subdomain>/saml/....
    """
    base_url = base_url.rstrip("/")
    host = base_url.split("://", 1)[-1]
    if tenant_subdomain_of_host(host) == tenant.subdomain:
        names, kwargs = ("sso:metadata", "sso:acs", "sso:login", "sso:slo"), {}
    else:
        names = ("sso:account_metadata", "sso:account_acs", "sso:account_login", "sso:account_slo")
        kwargs = {"subdomain": tenant.subdomain}
    metadata, acs, login, slo = (base_url + reverse(name, kwargs=kwargs) for name in names)
    # Read, not get_or_create: the public metadata URL must not write for unconfigured accounts.
    sso_settings = SsoSettings.objects.for_tenant(tenant).first()
    return saml.ServiceProvider(
        entity_id=metadata,
        acs_url=acs,
        sign_on_url=login,
        metadata_url=metadata,
        slo_url=slo,
        certificate=sso_settings.sp_certificate if sso_settings else "",
        private_key=sso_settings.sp_private_key if sso_settings else "",
        signs_authn_requests=sso_settings is not None and sso_settings.signs_requests,
    )


def identity_provider(sso_settings: SsoSettings) -> saml.IdentityProvider:
    return saml.IdentityProvider(
        entity_id=sso_settings.idp_entity_id,
        sso_url=sso_settings.idp_sso_url,
        certificates=tuple(c.pem for c in sso_settings.certificates.all()),
        slo_url=sso_settings.idp_slo_url,
    )


def recent_sign_in_attempts(tenant: Tenant, limit: int = 20) -> QuerySet[AuditEvent]:
    """The account's last sign-in successes and refusals, from the audit trail."""
    return AuditEvent.objects.for_tenant(tenant).filter(channel=Channel.SSO)[:limit]


# Configuring -------------------------------------------------------------------------------


def fetch_metadata(url: str) -> bytes:
    """GET the App Federation Metadata URL: public addresses only, a timeout, a size limit."""
    return metadata_fetch.fetch(
        url,
        limits=metadata_fetch.Limits(
            timeout=settings.SSO_METADATA_TIMEOUT_SECONDS,
            max_bytes=settings.SSO_METADATA_MAX_BYTES,
            allow_private=settings.SSO_METADATA_ALLOW_PRIVATE_ADDRESSES,
        ),
    )


@transaction.atomic
def configure_from_metadata(
    *, tenant: Tenant, actor: Actor, metadata: str | bytes, metadata_url: str = ""
) -> SsoSettings:
    """Take the IdP's Identifier, Login URL and every signing certificate from its metadata."""
    try:
        parsed = saml.parse_idp_metadata(metadata)
    except ValueError as error:
        raise ValidationError(str(error), code="invalid") from error
    return _set_idp(
        tenant=tenant,
        actor=actor,
        entity_id=parsed.entity_id,
        sso_url=parsed.sso_url,
        slo_url=parsed.slo_url,
        certificates=list(parsed.certificates),
        metadata_url=metadata_url,
        action=AuditAction.SSO_METADATA_LOADED,
    )


def configure_from_metadata_url(*, tenant: Tenant, actor: Actor, url: str) -> SsoSettings:
    """Fetch the metadata URL now and keep it, so Refresh can read it again."""
    url = url.strip()
    return configure_from_metadata(
        tenant=tenant, actor=actor, metadata=fetch_metadata(url), metadata_url=url
    )


def refresh_metadata(*, tenant: Tenant, actor: Actor) -> SsoSettings:
    """Read the stored metadata URL again (Entra publishes a new certificate there)."""
    sso_settings = get_sso_settings(tenant)
    if not sso_settings.metadata_url:
        raise ValidationError("No metadata URL is set for this account.", code="invalid")
    return configure_from_metadata_url(tenant=tenant, actor=actor, url=sso_settings.metadata_url)


@transaction.atomic
def configure_manually(
    *,
    tenant: Tenant,
    actor: Actor,
    entity_id: str,
    sso_url: str,
    certificates: list[str],
    slo_url: str = "",
) -> SsoSettings:
    """Identifier, Login URL, Logout URL and certificate(s) as pasted from Entra."""
    return _set_idp(
        tenant=tenant,
        actor=actor,
        entity_id=entity_id.strip(),
        sso_url=sso_url.strip(),
        slo_url=slo_url.strip(),
        certificates=certificates,
        metadata_url="",
        action=AuditAction.SSO_IDP_CONFIGURED,
    )


def _check_idp_addresses(*, entity_id: str, sso_url: str, slo_url: str) -> None:
    if not entity_id or not sso_url:
        raise ValidationError("The Identifier and the Login URL are both needed.", code="required")
    for label, url in (("Login URL", sso_url), ("Logout URL", slo_url)):
        if url and not url.lower().startswith(("https://", "http://")):
            raise ValidationError(f"The {label} must be an https:// address.", code="invalid")


def _set_idp(
    *,
    tenant: Tenant,
    actor: Actor,
    entity_id: str,
    sso_url: str,
    certificates: list[str],
    metadata_url: str,
    action: AuditAction,
    slo_url: str = "",
) -> SsoSettings:
    _check_idp_addresses(entity_id=entity_id, sso_url=sso_url, slo_url=slo_url)
    try:
        infos = {info.thumbprint: info for info in map(saml.certificate_info, certificates)}
    except ValueError as error:
        raise ValidationError(str(error), code="invalid") from error
    if not infos:
        raise ValidationError("At least one signing certificate is needed.", code="required")
    sso_settings = SsoSettings.objects.select_for_update().get(pk=get_sso_settings(tenant).pk)
    before = {
        "idp_entity_id": sso_settings.idp_entity_id,
        "idp_sso_url": sso_settings.idp_sso_url,
        "idp_slo_url": sso_settings.idp_slo_url,
        "metadata_url": sso_settings.metadata_url,
        "certificates": sorted(sso_settings.certificates.values_list("thumbprint", flat=True)),
    }
    sso_settings.idp_entity_id = entity_id
    sso_settings.idp_sso_url = sso_url
    sso_settings.idp_slo_url = slo_url
    if slo_url:
        _make_key_pair(sso_settings)  # logout messages are signed from the first one
    sso_settings.metadata_url = metadata_url
    sso_settings.metadata_fetched_at = timezone.now() if metadata_url else None
    sso_settings.save()
    # The set of trusted certificates is what the IdP lists now: during a rollover that is
    # the old and the new one; once Entra drops the old one, so do we.
    sso_settings.certificates.exclude(thumbprint__in=infos).delete()
    known = set(sso_settings.certificates.values_list("thumbprint", flat=True))
    IdpCertificate.objects.bulk_create(
        IdpCertificate(
            tenant=tenant,
            sso_settings=sso_settings,
            pem=info.pem,
            thumbprint=info.thumbprint,
            subject=info.subject[:500],
            not_before=info.not_before,
            not_after=info.not_after,
        )
        for info in infos.values()
        if info.thumbprint not in known
    )
    after = {
        "idp_entity_id": entity_id,
        "idp_sso_url": sso_url,
        "idp_slo_url": slo_url,
        "metadata_url": metadata_url,
        "certificates": sorted(infos),
    }
    record_event(
        tenant=tenant,
        actor=actor,
        action=action,
        target=sso_settings,
        changes=diff(before, after),
    )
    return sso_settings


@transaction.atomic
def set_sso_options(
    *,
    tenant: Tenant,
    actor: Actor,
    enabled: bool,
    idp_initiated: bool,
    require_sso: bool,
    match_by: str,
    sign_requests: bool | None = None,
    require_signed_logout: bool | None = None,
) -> SsoSettings:
    """The switches and the matching rule; SSO cannot be on before an IdP is configured.

    `sign_requests` (None: unchanged) signs AuthnRequests with the account's key pair,
    made the first time signing is switched on and kept afterwards.
    `require_signed_logout` (None: unchanged) refuses unsigned LogoutRequests from the IdP.
    """
    sso_settings = SsoSettings.objects.select_for_update().get(pk=get_sso_settings(tenant).pk)
    if enabled and not (sso_settings.has_idp and sso_settings.certificates.exists()):
        raise ValidationError(
            "Configure the identity provider (metadata or certificate) before switching SSO on.",
            code="invalid",
        )
    if match_by not in MatchBy.values:
        raise ValidationError(f'"{match_by}" is not a way to match users.', code="invalid")
    before = _options(sso_settings)
    now = timezone.now()

    def stamp(current: datetime | None, on: bool) -> datetime | None:
        return (current or now) if on else None

    sso_settings.enabled_at = stamp(sso_settings.enabled_at, enabled)
    sso_settings.idp_initiated_allowed_at = stamp(
        sso_settings.idp_initiated_allowed_at, idp_initiated
    )
    sso_settings.sso_required_at = stamp(sso_settings.sso_required_at, require_sso)
    if sign_requests is not None:
        sso_settings.requests_signed_at = stamp(sso_settings.requests_signed_at, sign_requests)
    if require_signed_logout is not None:
        sso_settings.signed_logout_required_at = stamp(
            sso_settings.signed_logout_required_at, require_signed_logout
        )
    if sso_settings.requests_signed_at:
        _make_key_pair(sso_settings)
    sso_settings.match_by = match_by
    sso_settings.save()
    changes = diff(before, _options(sso_settings))
    if changes:
        record_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.SSO_OPTIONS,
            target=sso_settings,
            changes=changes,
        )
    return sso_settings


def _options(sso_settings: SsoSettings) -> dict[str, Any]:
    return {
        "enabled": sso_settings.enabled_at is not None,
        "idp_initiated": sso_settings.idp_initiated_allowed_at is not None,
        "require_sso": sso_settings.sso_required_at is not None,
        "sign_requests": sso_settings.requests_signed_at is not None,
        "require_signed_logout": sso_settings.requires_signed_logout,
        "match_by": sso_settings.match_by,
    }


def _make_key_pair(sso_settings: SsoSettings) -> None:
    """The account's own key pair (signed AuthnRequests, logout messages), made once: Entra
    keeps the certificate it was given. The caller saves."""
    if not sso_settings.sp_private_key:
        sso_settings.sp_private_key, sso_settings.sp_certificate = saml.new_key_pair(
            f"Commbox {sso_settings.tenant.subdomain} SAML signing"
        )


# Signing in --------------------------------------------------------------------------------


def _request_key(tenant: Tenant, request_id: str) -> str:
    return f"sso:request:{tenant.pk}:{hashlib.sha256(request_id.encode()).hexdigest()}"


def _assertion_key(issuer: str, assertion_id: str) -> str:
    return "sso:assertion:" + hashlib.sha256(f"{issuer}\n{assertion_id}".encode()).hexdigest()


def _report_key(token: str) -> str:
    return f"sso:test-report:{token}"


def _nonce_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


# Throttles: fixed-window counters in the shared cache --------------------------------------


def _window_key(name: str, seconds: int) -> tuple[str, int]:
    """This window's counter key for `name`, and the minutes until the window ends."""
    now = time.time()
    window = int(now // seconds)
    minutes = max(1, -(-int((window + 1) * seconds - now) // 60))
    return f"sso:throttle:{name}:{seconds}:{window}", minutes


def _count(name: str, seconds: int) -> tuple[int, int]:
    """Count one more in `name`'s current window: the new count and the minutes left."""
    key, minutes = _window_key(name, seconds)
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key), minutes
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return 1, minutes


def _counted(name: str, seconds: int) -> tuple[int, int]:
    key, minutes = _window_key(name, seconds)
    return cache.get(key) or 0, minutes


def _address_name(kind: str, client_address: str | None) -> str:
    return f"{kind}:address:" + hashlib.sha256((client_address or "").encode()).hexdigest()


def _throttle_start(tenant: Tenant, client_address: str | None) -> None:
    """Anonymous sign-in starts: so many per client address, so many pending per account."""
    limit, seconds = astuple(parse_rate(settings.SSO_RATE_LIMIT_START_PER_ADDRESS))
    count, minutes = _count(_address_name("start", client_address), seconds)
    if count > limit:
        raise TooManyAttempts(
            "Too many sign-ins were started from your network address.", minutes=minutes
        )
    bound, seconds = settings.SSO_MAX_PENDING_SIGN_INS_PER_ACCOUNT, settings.SSO_REQUEST_TTL_SECONDS
    count, minutes = _count(f"start:account:{tenant.pk}", seconds)
    if count > bound:
        raise TooManyAttempts(
            "Too many sign-ins to this account are waiting for the identity provider.",
            minutes=minutes,
        )


def _refuse_throttled_address(client_address: str | None) -> None:
    """An address over its limit of unverified responses is not read at all."""
    limit, seconds = astuple(parse_rate(settings.SSO_RATE_LIMIT_UNVERIFIED_PER_ADDRESS))
    count, minutes = _counted(_address_name("unverified", client_address), seconds)
    if count >= limit:
        raise TooManyAttempts(
            "Too many sign-in responses from your network address could not be verified.",
            minutes=minutes,
        )


def start_sign_in(
    *,
    tenant: Tenant,
    sp: saml.ServiceProvider,
    next_url: str = "",
    test_by: User | None = None,
    client_address: str | None = None,
) -> SignInStart:
    """The IdP URL to redirect to, and a nonce for the browser's cookie; the AuthnRequest ID,
    RelayState and the nonce's digest wait in the shared cache.

    The IdP's POST back to the ACS is cross-site, so the session cookie (SameSite=Lax) is not
    sent with it: what the ACS must check is kept in Django's cache, shared by every worker,
    and the nonce cookie (SameSite=None) ties the answer to the browser that asked.
    Anonymous starts are throttled (TooManyAttempts); an admin's test sign-in is not.
    """
    sso_settings = get_sso_settings(tenant)
    if test_by is None and not sso_settings.is_enabled:
        raise ValidationError("Single sign-on is off for this account.", code="invalid")
    if not sso_settings.has_idp:
        raise ValidationError("No identity provider is configured.", code="invalid")
    if test_by is None:
        _throttle_start(tenant, client_address)
    relay_state = secrets.token_urlsafe(24)
    browser_nonce = secrets.token_urlsafe(32)
    url, request_id = saml.authn_request(
        sp, identity_provider(sso_settings), relay_state=relay_state
    )
    cache.set(
        _request_key(tenant, request_id),
        {
            "relay_state": relay_state,
            "browser": _nonce_digest(browser_nonce),
            "next": next_url,
            "test_by": test_by.pk if test_by else None,
        },
        timeout=settings.SSO_REQUEST_TTL_SECONDS,
    )
    return SignInStart(url=url, browser_nonce=browser_nonce)


def complete_sign_in(
    *,
    tenant: Tenant,
    sp: saml.ServiceProvider,
    saml_response: str,
    relay_state: str,
    received_at_url: str,
    browser_nonce: str = "",
    client_address: str | None = None,
) -> SignIn:
    """Verify an ACS POST and find the user; outcomes are in the audit trail (channel SSO).

    Raises saml.Refused with the failed check, or TooManyAttempts. A refusal before the
    signature is verified is counted, not detailed in the trail (_refused_unverified). A
    test sign-in never signs anyone in: it stores a report for the admin who started it and
    returns its key.
    """
    _refuse_throttled_address(client_address)
    sso_settings = get_sso_settings(tenant)
    received = saml.read_unverified(saml_response)
    pending = None
    if received.in_response_to:
        key = _request_key(tenant, received.in_response_to)
        pending = cache.get(key)
        cache.delete(key)  # one answer per request
    test_by = pending.get("test_by") if pending else None
    try:
        identity, user = _verify(
            tenant=tenant,
            sso_settings=sso_settings,
            sp=sp,
            saml_response=saml_response,
            relay_state=relay_state,
            received_at_url=received_at_url,
            received=received,
            pending=pending,
            browser_nonce=browser_nonce,
        )
    except saml.Refused as refusal:
        if test_by:
            return _test_report(tenant, sso_settings, test_by, received, refusal=refusal)
        if isinstance(refusal, _Unverified):
            _refused_unverified(tenant, sso_settings, refusal, client_address=client_address)
        else:
            _record_attempt(tenant, sso_settings, received, refusal=refusal, user=_matched(refusal))
        raise
    if test_by:
        return _test_report(tenant, sso_settings, test_by, received, user=user)
    _record_attempt(tenant, sso_settings, received, user=user, flow=_flow(pending))
    next_url = pending.get("next", "") if pending else relay_state
    return SignIn(user=user, next_url=next_url, identity=identity)


def _flow(pending: dict[str, Any] | None) -> str:
    return "sp-initiated" if pending else "idp-initiated"


class _UserRefused(saml.Refused):
    """A refusal about a user the response matched (deactivated), kept for the audit target."""

    def __init__(self, reason: str, user: User):
        super().__init__("user", reason)
        self.user = user


def _matched(refusal: saml.Refused) -> User | None:
    return getattr(refusal, "user", None)


class _NoSuchUser(saml.Refused):
    """No user matches a verified assertion: the one case a just-in-time agent is made for."""


class _Unverified(saml.Refused):
    """A refusal of a response whose signature was not verified: what it claims is unproven."""


def _verify(
    *,
    tenant: Tenant,
    sso_settings: SsoSettings,
    sp: saml.ServiceProvider,
    saml_response: str,
    relay_state: str,
    received_at_url: str,
    received: saml.Received,
    pending: dict[str, Any] | None,
    browser_nonce: str,
) -> tuple[saml.Identity, User]:
    try:
        identity = _verify_signature(
            sso_settings=sso_settings,
            sp=sp,
            saml_response=saml_response,
            relay_state=relay_state,
            received_at_url=received_at_url,
            received=received,
            pending=pending,
        )
    except saml.Refused as refusal:
        raise _Unverified(refusal.check, refusal.reason) from refusal
    _check_browser(pending, browser_nonce)
    _accept_once(identity)
    try:
        return identity, _find_user(tenant, sso_settings, identity)
    except _NoSuchUser:
        if not sso_settings.creates_agents or (pending and pending.get("test_by")):
            raise
    return identity, _create_agent(tenant, sso_settings, identity)


def _verify_signature(
    *,
    sso_settings: SsoSettings,
    sp: saml.ServiceProvider,
    saml_response: str,
    relay_state: str,
    received_at_url: str,
    received: saml.Received,
    pending: dict[str, Any] | None,
) -> saml.Identity:
    """Every check up to and including the signature (and the toolkit's strict checks)."""
    if not sso_settings.has_idp:
        raise saml.Refused("configuration", "Single sign-on is not configured for this account.")
    if not (pending and pending.get("test_by")) and not sso_settings.is_enabled:
        raise saml.Refused("configuration", "Single sign-on is off for this account.")
    if received.in_response_to and pending is None:
        raise saml.Refused(
            "in-response-to",
            "The response answers a sign-in request this server did not send, or one that "
            "expired or was already answered.",
        )
    if pending is None and not sso_settings.allows_idp_initiated:
        raise saml.Refused(
            "unsolicited",
            "IdP-initiated sign-in is off for this account: start from the sign-in page.",
        )
    if pending is not None and relay_state != pending["relay_state"]:
        raise saml.Refused("relay-state", "The RelayState is not the one this server sent.")
    return saml.verify_response(
        sp,
        identity_provider(sso_settings),
        saml_response=saml_response,
        received_at_url=received_at_url,
        request_id=received.in_response_to if pending else None,
        clock_skew=timedelta(seconds=settings.SSO_CLOCK_SKEW_SECONDS),
    )


def _check_browser(pending: dict[str, Any] | None, browser_nonce: str) -> None:
    """An answer to our request counts only in the browser that made it (login CSRF).

    IdP-initiated responses (no pending request) have no browser to compare with.
    """
    if pending is None:
        return
    expected = pending.get("browser") or ""
    if not browser_nonce or not hmac.compare_digest(_nonce_digest(browser_nonce), expected):
        raise saml.Refused(
            "browser",
            "This sign-in was not started in this browser (its sign-in cookie is missing or "
            "does not match). Start again from the sign-in page, in the same browser.",
        )


def _accept_once(identity: saml.Identity) -> None:
    """Each assertion ID is accepted once, in the cache every worker shares."""
    if not identity.assertion_id:
        raise saml.Refused("replay", "The assertion has no ID.")
    remaining = 3600
    if identity.not_on_or_after is not None:
        remaining = int((identity.not_on_or_after - datetime.now(UTC)).total_seconds())
    timeout = max(remaining + settings.SSO_CLOCK_SKEW_SECONDS, 60)
    if not cache.add(_assertion_key(identity.issuer, identity.assertion_id), 1, timeout=timeout):
        raise saml.Refused("replay", "This assertion has already been used.")


def _find_user(tenant: Tenant, sso_settings: SsoSettings, identity: saml.Identity) -> User:
    match_by = sso_settings.match_by
    if match_by == MatchBy.EMAIL:
        value = _matching_value(_first_claim(identity, EMAIL_CLAIM), "email claim")
        users = list(
            User.objects.for_tenant(tenant)
            .filter(emails__value__lower=Lower(Value(value)))
            .distinct()[:2]
        )
        label = f'email "{value}"'
    elif match_by == MatchBy.OBJECT_ID:
        value = _first_claim(identity, OBJECT_ID_CLAIM)
        users = list(User.objects.for_tenant(tenant).filter(external_id__iexact=value)[:2])
        label = f'objectidentifier "{value}" (externalId)'
    else:
        value = _matching_value(identity.name_id, "NameID")
        user = find_user_by_name(tenant, value)
        users = [user] if user else []
        label = f'NameID "{value}" (userName)'
    if not users:
        raise _NoSuchUser("user", f"No user of this account has the {label}.")
    if len(users) > 1:
        raise saml.Refused("user", f"More than one user of this account has the {label}.")
    user = users[0]
    if not user.is_active:
        raise _UserRefused(f"{user.user_name} is deactivated.", user)
    _check_role_within_grant(tenant, user)
    return user


def _matching_value(value: str, label: str) -> str:
    """The claim in the form names are stored in (NFKC); a look-alike name matches nobody."""
    try:
        return checked_name(value, label=f"The {label}")
    except ValidationError as error:
        raise saml.Refused("user", " ".join(error.messages)) from error


def _check_role_within_grant(tenant: Tenant, user: User) -> None:
    """Single sign-on never lands in a role above what Entra ID may grant, whatever it matched.

    Where the account does not let Entra make admins, Entra cannot decide who is one, so it
    cannot sign one in either: a userName, email or objectId that SCIM set cannot lead there.
    """
    if user.role == BuiltinRole.ADMIN and not tenant.scim_may_grant_admin:
        raise _UserRefused(
            f"{user.user_name} is an admin, and admins of this account sign in with their "
            "password while Microsoft Entra ID may not grant the admin role. An admin can "
            'change that in Settings → API → Provisioning ("Let Entra ID make users admins").',
            user,
        )


def _first_claim(identity: saml.Identity, name: str) -> str:
    values = identity.attributes.get(name) or []
    if not values or not values[0].strip():
        raise saml.Refused("user", f"The response has no {name} claim to match users on.")
    return values[0].strip()


def _record_attempt(
    tenant: Tenant,
    sso_settings: SsoSettings,
    received: saml.Received,
    *,
    user: User | None = None,
    refusal: saml.Refused | None = None,
    flow: str | None = None,
) -> None:
    """One row for a response whose signature was verified: its subject is the IdP's word."""
    changes: dict[str, Any] = {"subject": received.name_id[:255]}
    if refusal is None:
        SSO_SIGN_INS.labels("signed_in", "").inc()
    else:
        SSO_SIGN_INS.labels("refused", refusal.check).inc()
    if refusal is not None:
        changes.update(check=refusal.check, reason=refusal.reason[:500])
    else:
        changes["flow"] = flow
    # The host only (sts.windows.net): the full issuer is on the SSO page, and a long
    # label would crowd the Activity table.
    issuer_host = urlsplit(received.issuer).netloc or received.issuer
    record_event(
        tenant=tenant,
        actor=user,
        actor_type=None if user else "idp",
        actor_label=None if user else f"identity provider {issuer_host}",
        action=AuditAction.SSO_REFUSED if refusal is not None else AuditAction.SSO_SIGNED_IN,
        target=user or sso_settings,
        changes=changes,
        channel=Channel.SSO,
    )


def _refused_unverified(
    tenant: Tenant,
    sso_settings: SsoSettings,
    refusal: saml.Refused,
    *,
    client_address: str | None,
    logout: bool = False,
) -> None:
    """Count a refusal before the signature was verified, per address and per account.

    Anyone can post such a response, so nothing it claims reaches the trail: the account
    gets at most one row per period of SSO_RATE_LIMIT_UNVERIFIED_PER_ACCOUNT, naming only
    our own check. Over either limit this raises TooManyAttempts (a 429) instead.
    """
    SSO_SIGN_INS.labels("refused", refusal.check).inc()
    address_rate = parse_rate(settings.SSO_RATE_LIMIT_UNVERIFIED_PER_ADDRESS)
    account_rate = parse_rate(settings.SSO_RATE_LIMIT_UNVERIFIED_PER_ACCOUNT)
    by_address, address_minutes = _count(
        _address_name("unverified", client_address), address_rate.seconds
    )
    # Logout messages count with sign-in responses per address, and on their own per account
    # (so each kind gets its row in the trail).
    counter = f"unverified{'-logout' if logout else ''}:account:{tenant.pk}"
    by_account, account_minutes = _count(counter, account_rate.seconds)
    what = "logout message" if logout else "response"
    # Logout refusals' reasons are this module's own sentences; the toolkit's sign-in
    # reasons can quote what the response claims.
    detail = f": {refusal.reason}" if logout else ""
    if by_account == 1:
        minutes = account_rate.seconds // 60 or 1
        record_event(
            tenant=tenant,
            actor=None,
            actor_type="anonymous",
            actor_label=f"unverified {'logout message' if logout else 'sign-in response'}",
            action=AuditAction.SSO_LOGOUT_REFUSED if logout else AuditAction.SSO_REFUSED,
            target=sso_settings,
            changes={
                "check": refusal.check,
                "reason": (
                    f"the {what} could not be verified (check: {refusal.check}{detail}); "
                    "the subject and issuer it claims are not recorded, "
                    f"and further unverified {what}s in the next {minutes} minutes are only "
                    "counted"
                ),
                "verified": False,
            },
            channel=Channel.SSO,
        )
    if by_address > address_rate.requests:
        raise TooManyAttempts(
            "Too many sign-in responses from your network address could not be verified.",
            minutes=address_minutes,
        )
    if by_account > account_rate.requests:
        raise TooManyAttempts(
            "Too many sign-in responses to this account could not be verified.",
            minutes=account_minutes,
        )


def _test_report(
    tenant: Tenant,
    sso_settings: SsoSettings,
    test_by: int,
    received: saml.Received,
    *,
    user: User | None = None,
    refusal: saml.Refused | None = None,
) -> SignIn:
    admin = User.objects.for_tenant(tenant).filter(pk=test_by).first()
    token = secrets.token_urlsafe(24)
    report = {
        "ok": refusal is None,
        "check": refusal.check if refusal else "",
        "reason": refusal.reason if refusal else "",
        "matched_user": user.user_name if user else "",
        "received": asdict(received),
        "test_by": test_by,
        "at": timezone.now().isoformat(),
    }
    cache.set(_report_key(token), report, timeout=settings.SSO_REQUEST_TTL_SECONDS)
    record_event(
        tenant=tenant,
        actor=admin,
        action=AuditAction.SSO_TESTED,
        target=sso_settings,
        changes={
            "subject": received.name_id[:255],
            "result": "passed" if refusal is None else f"failed: {refusal.check}",
        },
        channel=Channel.SSO,
    )
    return SignIn(user=None, next_url="", test_report_key=token)


def get_test_report(token: str, *, admin: User) -> dict | None:
    """The report of a test sign-in, for the admin who started it only."""
    report = cache.get(_report_key(token))
    if not report or report.get("test_by") != admin.pk:
        return None
    return report


# Just-in-time agents -----------------------------------------------------------------------


@transaction.atomic
def set_agent_creation(
    *, tenant: Tenant, actor: Actor, enabled: bool, role: Role | None
) -> SsoSettings:
    """Switch "Create agents on first sign-in" and choose the custom role new agents hold."""
    if role is not None and (role.tenant_id != tenant.pk or role.is_builtin):
        raise ValidationError("Choose one of this account's custom roles.", code="invalid")
    sso_settings = SsoSettings.objects.select_for_update().get(pk=get_sso_settings(tenant).pk)
    before = _agent_creation(sso_settings)
    if enabled and sso_settings.creates_agents_at is None:
        sso_settings.creates_agents_at = timezone.now()
    elif not enabled:
        sso_settings.creates_agents_at = None
    sso_settings.new_agent_role = role
    sso_settings.save(update_fields=["creates_agents_at", "new_agent_role", "updated_at"])
    changes = diff(before, _agent_creation(sso_settings))
    if changes:
        record_event(
            tenant=tenant,
            actor=actor,
            action=AuditAction.SSO_OPTIONS,
            target=sso_settings,
            changes=changes,
        )
    return sso_settings


def _agent_creation(sso_settings: SsoSettings) -> dict[str, Any]:
    role = sso_settings.new_agent_role
    return {
        "creates_agents": sso_settings.creates_agents,
        "new_agent_role": role.name if role is not None else None,
    }


def _claim(identity: saml.Identity, name: str) -> str:
    values = identity.attributes.get(name) or []
    return values[0].strip() if values and values[0] else ""


def _refuse_deprovisioned(tenant: Tenant, user_name: str) -> None:
    """A person deleted from this account is not made again by a sign-in (a deactivated
    one still exists, and _find_user refuses them)."""
    deleted = (
        AuditEvent.objects.for_tenant(tenant)
        .filter(action=AuditAction.USER_DELETED, target_label__iexact=user_name)
        .first()
    )
    if deleted is not None:
        raise saml.Refused(
            "user",
            f"{user_name} was deleted from this account ({deleted.get_channel_display()}, "
            f"{deleted.created_at:%Y-%m-%d}); single sign-on does not create deleted users "
            "again. Provision them from Microsoft Entra ID instead.",
        )


def _create_agent(tenant: Tenant, sso_settings: SsoSettings, identity: saml.Identity) -> User:
    """A person Entra signed in (a verified assertion for this account) who is not a user:
    an agent with the account's default custom role, from the assertion's claims."""
    user_name = _matching_value(identity.name_id, "NameID")
    _refuse_deprovisioned(tenant, user_name)
    email = _claim(identity, EMAIL_CLAIM)
    attributes: dict[str, Any] = {
        "user_name": user_name,
        "given_name": _claim(identity, GIVEN_NAME_CLAIM),
        "family_name": _claim(identity, SURNAME_CLAIM),
        "display_name": _claim(identity, DISPLAY_NAME_CLAIM),
        "emails": [{"value": email, "type": "work", "primary": True}] if email else [],
        "role": BuiltinRole.AGENT,
        "custom_role": sso_settings.new_agent_role,
    }
    if sso_settings.match_by == MatchBy.OBJECT_ID:
        attributes["external_id"] = _claim(identity, OBJECT_ID_CLAIM)
    try:
        return create_user(tenant=tenant, actor=None, attributes=attributes, source=Channel.SSO)
    except ValidationError as error:
        raise saml.Refused(
            "user", "Could not create an agent: " + " ".join(error.messages)
        ) from error


# Single logout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SsoSessionInfo:
    """What a browser session keeps of its SSO sign-in, for single logout."""

    name_id: str
    name_id_format: str
    session_index: str


@dataclass(frozen=True)
class LogoutOutcome:
    """An accepted logout message: where the browser goes next ("" for the signed-out page),
    and the session keys that were ended."""

    redirect_url: str
    ended_session_keys: frozenset[str] = frozenset()


def _logout_request_key(tenant: Tenant, request_id: str) -> str:
    return f"sso:logout-request:{tenant.pk}:{hashlib.sha256(request_id.encode()).hexdigest()}"


def _logout_message_key(issuer: str, message_id: str) -> str:
    return "sso:logout-message:" + hashlib.sha256(f"{issuer}\n{message_id}".encode()).hexdigest()


def remember_sso_session(
    *, tenant: Tenant, user: User, session_key: str, info: SsoSessionInfo
) -> None:
    """Note which session single sign-on started, so a LogoutRequest can find it; rows older
    than any session can live are dropped on the way."""
    oldest = timezone.now() - timedelta(seconds=settings.SESSION_MAX_AGE)
    SsoSession.objects.for_tenant(tenant).filter(created_at__lt=oldest).delete()
    SsoSession.objects.update_or_create(
        tenant=tenant,
        session_key=session_key,
        defaults={
            "user": user,
            "name_id": info.name_id[:500],
            "name_id_format": info.name_id_format[:200],
            "session_index": info.session_index[:200],
        },
    )


def forget_sso_session(*, tenant: Tenant, session_key: str | None) -> None:
    """The session ended here (signed out); its row has nothing left to find."""
    if session_key:
        SsoSession.objects.for_tenant(tenant).filter(session_key=session_key).delete()


def start_logout(
    *, tenant: Tenant, sp: saml.ServiceProvider, session_key: str | None, info: SsoSessionInfo
) -> str:
    """Signing out after an SSO sign-in: the URL of a signed LogoutRequest to the IdP's
    logout service, or "" when the IdP has none (sign-out stays local). The caller ends the
    local session either way; the request's ID waits in the cache for the LogoutResponse."""
    forget_sso_session(tenant=tenant, session_key=session_key)
    sso_settings = get_sso_settings(tenant)
    if not (sso_settings.has_idp and sso_settings.has_idp_logout):
        return ""
    sp = _with_key_pair(tenant, sso_settings, sp)
    url, request_id = saml.logout_request(
        sp,
        identity_provider(sso_settings),
        name_id=info.name_id,
        name_id_format=info.name_id_format,
        session_index=info.session_index,
    )
    cache.set(
        _logout_request_key(tenant, request_id),
        {"name_id": info.name_id},
        timeout=settings.SSO_REQUEST_TTL_SECONDS,
    )
    return url


def _with_key_pair(
    tenant: Tenant, sso_settings: SsoSettings, sp: saml.ServiceProvider
) -> saml.ServiceProvider:
    """An account configured before single logout existed gets its key pair now."""
    if sp.private_key:
        return sp
    _make_key_pair(sso_settings)
    sso_settings.save(update_fields=["sp_private_key", "sp_certificate", "updated_at"])
    return dataclass_replace(
        sp, certificate=sso_settings.sp_certificate, private_key=sso_settings.sp_private_key
    )


def receive_logout(
    *,
    tenant: Tenant,
    sp: saml.ServiceProvider,
    binding: saml.LogoutBinding,
    received_at_url: str,
    browser_session_key: str | None = None,
    browser: SsoSessionInfo | None = None,
    client_address: str | None = None,
) -> LogoutOutcome:
    """A LogoutRequest or LogoutResponse at our logout service; raises saml.Refused (listed
    in the SSO page's recent attempts) or TooManyAttempts.

    `browser` is this browser's SSO session, if it has one: an unsigned LogoutRequest is
    accepted only when it names exactly that session, and ends only it.
    """
    _refuse_throttled_address(client_address)
    sso_settings = get_sso_settings(tenant)
    try:
        message, xml = saml.read_logout_message(binding)
        if not sso_settings.has_idp:
            raise saml.Refused("configuration", "Single sign-on is not configured.")
        idp = identity_provider(sso_settings)
        saml.check_logout_message(
            sp,
            idp,
            message,
            received_at_url=received_at_url,
            clock_skew=timedelta(seconds=settings.SSO_CLOCK_SKEW_SECONDS),
        )
        signed = saml.logout_is_signed(idp, binding, xml)
    except saml.Refused as refusal:
        _refused_unverified(
            tenant, sso_settings, refusal, client_address=client_address, logout=True
        )
        raise
    if message.kind == "LogoutResponse":
        return _logout_answered(tenant, sso_settings, message, client_address=client_address)
    return _logout_requested(
        tenant,
        sso_settings,
        sp,
        message,
        signed=signed,
        relay_state=binding.parameters.get("RelayState", ""),
        browser_session_key=browser_session_key,
        browser=browser,
        client_address=client_address,
    )


def _logout_answered(
    tenant: Tenant,
    sso_settings: SsoSettings,
    message: saml.LogoutMessage,
    *,
    client_address: str | None,
) -> LogoutOutcome:
    """The IdP's LogoutResponse to our LogoutRequest (sent from start_logout)."""
    key = _logout_request_key(tenant, message.in_response_to or "-")
    pending = cache.get(key)
    cache.delete(key)  # one answer per request
    try:
        if pending is None:
            raise saml.Refused(
                "in-response-to",
                "The LogoutResponse answers no logout request this server sent (or one that "
                "expired or was already answered).",
            )
        _accept_logout_once(message)
    except saml.Refused as refusal:
        _refused_unverified(
            tenant, sso_settings, refusal, client_address=client_address, logout=True
        )
        raise
    subject = pending["name_id"]
    if message.status != saml.STATUS_SUCCESS:
        failed = saml.Refused(
            "status",
            "You are signed out here, but the identity provider reported that it could not "
            f"sign you out everywhere (status {message.status.rsplit(':', 1)[-1] or 'none'}).",
        )
        _record_logout(tenant, sso_settings, subject, refusal=failed)
        raise failed
    _record_logout(tenant, sso_settings, subject, flow="sp-initiated", ended=1)
    return LogoutOutcome(redirect_url="")


def _logout_requested(
    tenant: Tenant,
    sso_settings: SsoSettings,
    sp: saml.ServiceProvider,
    message: saml.LogoutMessage,
    *,
    signed: bool,
    relay_state: str,
    browser_session_key: str | None,
    browser: SsoSessionInfo | None,
    client_address: str | None,
) -> LogoutOutcome:
    """A LogoutRequest from the IdP: end the sessions it may end, answer with a signed
    LogoutResponse (HTTP-Redirect) so the browser carries on the IdP's chain."""
    try:
        if not signed:
            _check_unsigned_request(sso_settings, message, browser_session_key, browser)
        _accept_logout_once(message)
    except saml.Refused as refusal:
        if signed:
            _record_logout(tenant, sso_settings, message.name_id, refusal=refusal)
        else:
            _refused_unverified(
                tenant, sso_settings, refusal, client_address=client_address, logout=True
            )
        raise
    sessions = SsoSession.objects.for_tenant(tenant).filter(name_id=message.name_id)
    if not signed:
        sessions = sessions.filter(session_key=browser_session_key)
    ended = _end_sessions(tenant, list(sessions.values_list("session_key", flat=True)))
    if not signed and browser_session_key:
        ended |= {browser_session_key}
    _record_logout(
        tenant,
        sso_settings,
        message.name_id,
        flow="idp-initiated" if signed else "idp-initiated, unsigned, this browser only",
        ended=len(ended),
    )
    if not sso_settings.has_idp_logout:
        return LogoutOutcome(redirect_url="", ended_session_keys=frozenset(ended))
    sp = _with_key_pair(tenant, sso_settings, sp)
    url = saml.logout_response(
        sp,
        identity_provider(sso_settings),
        in_response_to=message.message_id,
        relay_state=relay_state,
    )
    return LogoutOutcome(redirect_url=url, ended_session_keys=frozenset(ended))


def _check_unsigned_request(
    sso_settings: SsoSettings,
    message: saml.LogoutMessage,
    browser_session_key: str | None,
    browser: SsoSessionInfo | None,
) -> None:
    """An unsigned LogoutRequest proves nothing but the browser it arrives in: it may end
    that browser's SSO session, when it names exactly it (NameID and SessionIndex)."""
    if sso_settings.requires_signed_logout:
        raise saml.Refused(
            "signature",
            "This account accepts only signed logout requests, and this one is not signed.",
        )
    names_this_browser = (
        browser is not None
        and bool(browser_session_key)
        and message.name_id == browser.name_id
        and bool(browser.session_index)
        and browser.session_index in message.session_indexes
    )
    if not names_this_browser:
        raise saml.Refused(
            "session",
            "An unsigned logout request is accepted only in the browser session it names "
            "(its NameID and SessionIndex); this one names another.",
        )


def _accept_logout_once(message: saml.LogoutMessage) -> None:
    """Each logout message ID is acted on once, for as long as it could still be accepted."""
    lifetime = saml.LOGOUT_MESSAGE_LIFETIME.total_seconds() + 2 * settings.SSO_CLOCK_SKEW_SECONDS
    key = _logout_message_key(message.issuer, message.message_id)
    if not cache.add(key, 1, timeout=int(lifetime) + 60):
        raise saml.Refused("replay", "This logout message has already been used.")


def _end_sessions(tenant: Tenant, session_keys: list[str]) -> set[str]:
    """Delete the sessions from the session store every instance reads, and their rows."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in session_keys:
        store(session_key).delete(session_key)
    SsoSession.objects.for_tenant(tenant).filter(session_key__in=session_keys).delete()
    return set(session_keys)


def _record_logout(
    tenant: Tenant,
    sso_settings: SsoSettings,
    subject: str,
    *,
    refusal: saml.Refused | None = None,
    flow: str = "",
    ended: int = 0,
) -> None:
    """One row for a logout message whose signature (or pending request) vouches for it."""
    changes: dict[str, Any] = {"subject": subject[:255]}
    if refusal is not None:
        changes.update(check=refusal.check, reason=refusal.reason[:500])
    else:
        changes.update(flow=flow, sessions_ended=ended)
    record_event(
        tenant=tenant,
        actor=None,
        actor_type="idp",
        actor_label="identity provider",
        action=AuditAction.SSO_LOGOUT_REFUSED if refusal else AuditAction.SSO_SIGNED_OUT,
        target=sso_settings,
        changes=changes,
        channel=Channel.SSO,
    )
