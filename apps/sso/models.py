import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone

# Warn on the SSO page and the settings home this long before the last certificate expires.
EXPIRY_WARNING = timedelta(days=30)


class MatchBy(models.TextChoices):
    NAME_ID = "name-id", "NameID ↔ userName (case-insensitive)"
    EMAIL = "email", "email claim ↔ the user's email"
    OBJECT_ID = "object-id", "objectidentifier claim ↔ externalId"


class SsoSettingsQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)

    def enabled(self):
        """Accounts whose single sign-on is on: switched on, with an identity provider (the
        same test as SsoSettings.is_enabled)."""
        return (
            self.filter(enabled_at__isnull=False).exclude(idp_entity_id="").exclude(idp_sso_url="")
        )

    def enabled_for_subdomain(self, subdomain: str):
        """The account's settings if its single sign-on is on, else nothing, in one query
        whether or not the account exists: the answer must not say which it was."""
        return self.enabled().filter(tenant__subdomain=subdomain.lower()).select_related("tenant")


class SsoSettings(models.Model):
    """One account's SAML single sign-on: the identity provider and the switches."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="sso_settings"
    )
    # Entra's "Microsoft Entra Identifier" and "Login URL".
    idp_entity_id = models.CharField("Identifier (Entity ID)", max_length=500, blank=True)
    idp_sso_url = models.URLField("Login URL", max_length=1000, blank=True)
    # Entra's "Logout URL": where LogoutRequests and LogoutResponses go. Empty: sign-out is local.
    idp_slo_url = models.URLField("Logout URL", max_length=1000, blank=True)
    metadata_url = models.URLField("App Federation Metadata URL", max_length=1000, blank=True)
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    match_by = models.CharField(max_length=20, choices=MatchBy.choices, default=MatchBy.NAME_ID)
    enabled_at = models.DateTimeField(null=True, blank=True)
    idp_initiated_allowed_at = models.DateTimeField(null=True, blank=True)
    sso_required_at = models.DateTimeField(null=True, blank=True)
    # Signed AuthnRequests: the account's own key pair, made when signing is first switched
    # on and kept when it is switched off (Entra keeps the uploaded certificate).
    requests_signed_at = models.DateTimeField(null=True, blank=True)
    sp_certificate = models.TextField("service provider certificate (PEM)", blank=True)
    sp_private_key = models.TextField(blank=True, editable=False)
    # Just-in-time agents: a person Entra signs in who is not a user yet is created as an
    # agent holding `new_agent_role` (a custom role, or none), from the assertion's claims.
    creates_agents_at = models.DateTimeField(null=True, blank=True)
    new_agent_role = models.ForeignKey(
        "roles.Role", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Single logout: unsigned LogoutRequests are refused (otherwise accepted only in the very
    # browser session they name).
    signed_logout_required_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SsoSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = "SSO settings"
        verbose_name_plural = "SSO settings"

    def __str__(self):
        return f"SSO for {self.tenant.subdomain}"

    @property
    def is_enabled(self) -> bool:
        return self.enabled_at is not None and self.has_idp

    @property
    def allows_idp_initiated(self) -> bool:
        return self.idp_initiated_allowed_at is not None

    @property
    def requires_sso(self) -> bool:
        return self.sso_required_at is not None and self.is_enabled

    @property
    def signs_requests(self) -> bool:
        return self.requests_signed_at is not None and bool(self.sp_private_key)

    @property
    def requires_signed_logout(self) -> bool:
        return self.signed_logout_required_at is not None

    @property
    def has_idp_logout(self) -> bool:
        return bool(self.idp_slo_url)

    @property
    def creates_agents(self) -> bool:
        return self.creates_agents_at is not None

    @property
    def has_idp(self) -> bool:
        return bool(self.idp_entity_id and self.idp_sso_url)

    def last_certificate_expiry(self):
        return self.certificates.aggregate(last=models.Max("not_after"))["last"]

    def certificates_expire_soon(self, now=None) -> bool:
        """True when the last certificate expires within EXPIRY_WARNING (or has expired)."""
        last = self.last_certificate_expiry()
        return last is not None and last <= (now or timezone.now()) + EXPIRY_WARNING


class IdpCertificate(models.Model):
    """A signing certificate of the account's IdP; responses signed by any of them pass."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # The account's own column, as on every table of an account's data, so the table can be
    # distributed by tenant (README, "Distributing by tenant"); keys lead with it.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Not indexed alone: idp_certificate_unique_per_account has it second.
    sso_settings = models.ForeignKey(
        SsoSettings, on_delete=models.CASCADE, related_name="certificates", db_index=False
    )
    pem = models.TextField()
    thumbprint = models.CharField(max_length=40)
    subject = models.CharField(max_length=500, blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["not_after", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sso_settings", "thumbprint"],
                name="idp_certificate_unique_per_account",
            ),
            models.UniqueConstraint(
                fields=["tenant", "public_id"], name="idp_certificate_public_id_unique"
            ),
        ]

    def __str__(self):
        return f"{self.thumbprint} (until {self.not_after:%Y-%m-%d})"

    @property
    def is_expired(self) -> bool:
        return self.not_after <= timezone.now()


class SsoSessionQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)


class SsoSession(models.Model):
    """A browser session that single sign-on started: how a LogoutRequest from the IdP finds
    every session of the person it names, whichever instance serves them."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    # The key of Django's session (django_session, shared by every instance).
    session_key = models.CharField(max_length=40)
    name_id = models.CharField(max_length=500)
    name_id_format = models.CharField(max_length=200, blank=True)
    session_index = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SsoSessionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "session_key"], name="sso_session_key_unique_per_account"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "name_id"], name="sso_session_name_id")]

    def __str__(self):
        return f"{self.name_id} ({self.created_at:%Y-%m-%d %H:%M})"
