from urllib.parse import unquote, unquote_plus

from django.db import models

from apps.audit.redaction import redact_secrets
from apps.tenants.scoping import TenantOwnedQuerySet


class Channel(models.TextChoices):
    """How a change arrived; also how a user was created (User.source)."""

    UI = "ui", "Settings UI"
    SCIM = "scim", "SCIM"
    ADMIN = "admin", "Django admin"
    COMMAND = "command", "Management command"
    SSO = "sso", "Single sign-on"


class AuditAction(models.TextChoices):
    """Every action a service records; the Activity page filters on these."""

    TENANT_CREATED = "tenant.created", "Account created"
    TOKEN_ACCESS = "tenant.token_access", "Token Access switched"
    PROVISIONING_ROLE = "tenant.provisioning_role", "Provisioning role changed"
    SCIM_ADMIN_GRANTS = "tenant.scim_admin_grants", "Entra ID admin grants switched"
    TOKEN_LIFETIME = "tenant.token_lifetime", "Longest API token lifetime set"
    USER_CREATED = "user.created", "User created"
    USER_UPDATED = "user.updated", "User updated"
    USER_DELETED = "user.deleted", "User deleted"
    USER_UPDATE_REFUSED = "user.update_refused", "User change refused"
    PASSWORD_SET = "user.password_set", "Password set"
    STAFF_CREATED = "staff.created", "Staff account created"
    STAFF_UPDATED = "staff.updated", "Staff account updated"
    SIGN_IN_LOCKED = "user.sign_in_locked", "Sign-in locked after failures"
    ACCOUNT_SIGN_IN_LOCKED = "tenant.sign_in_locked", "Sign-in locked (unknown userName)"
    SIGN_IN_UNLOCKED = "user.sign_in_unlocked", "Sign-in lock lifted"
    GROUP_CREATED = "group.created", "Group created"
    GROUP_UPDATED = "group.updated", "Group updated"
    GROUP_DELETED = "group.deleted", "Group deleted"
    MEMBER_ADDED = "group.member_added", "Group member added"
    MEMBER_REMOVED = "group.member_removed", "Group member removed"
    ROLE_CREATED = "role.created", "Role created"
    ROLE_UPDATED = "role.updated", "Role updated"
    ROLE_DELETED = "role.deleted", "Role deleted"
    GROUP_ROLE_LINKED = "role.group_linked", "Group linked to a custom role"
    GROUP_ROLE_UNLINKED = "role.group_unlinked", "Group unlinked from its custom role"
    GROUP_ROLE_MOVED = "role.group_link_moved", "Linked groups reordered"
    EFFECTIVE_ROLES_CHANGED = "role.effective_changed", "Effective custom roles changed"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    TOKEN_UPDATED = "token.updated", "API token changed"
    DIRECTORY_SEEDED = "directory.seeded", "Directory seeded (benchmark)"
    SSO_METADATA_LOADED = "sso.metadata_loaded", "SSO metadata loaded"
    SSO_IDP_CONFIGURED = "sso.idp_configured", "SSO identity provider set"
    SSO_OPTIONS = "sso.options", "SSO options changed"
    SSO_SIGNED_IN = "sso.signed_in", "Signed in with SSO"
    SSO_REFUSED = "sso.refused", "SSO sign-in refused"
    SSO_TESTED = "sso.tested", "SSO test sign-in"
    SSO_SIGNED_OUT = "sso.signed_out", "Signed out with SSO (single logout)"
    SSO_LOGOUT_REFUSED = "sso.logout_refused", "SSO logout refused"
    AUDIT_PRUNED = "audit.pruned", "Old activity removed (retention)"


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(TenantOwnedQuerySet["AuditEvent"]):
    def for_target(self, target):
        return self.filter(target_type=target._meta.model_name, target_id=str(target.public_id))

    # The trail is append-only: bulk changes are refused, not just hidden from the admin.
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One change, written in the same transaction as the change itself."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,  # audit_tenant_time and the other indexes lead with it
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    action = models.CharField(max_length=50, choices=AuditAction.choices)
    # Actor and target are copied as text too, so a row survives deletion of what it names.
    actor_type = models.CharField(max_length=20)  # "user", "staff", "token", "system"
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=255, blank=True)
    target_type = models.CharField(max_length=30)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_tenant_time"),
            models.Index(fields=["tenant", "channel", "-created_at"], name="audit_tenant_channel"),
            models.Index(fields=["tenant", "action", "-created_at"], name="audit_tenant_action"),
            models.Index(
                fields=["tenant", "target_type", "target_id", "-created_at"],
                name="audit_tenant_target",
            ),
        ]

    def __str__(self):
        return f"{self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        # An exception to "no logic in save()": append-only is an invariant, not a side effect.
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class Refusal(models.TextChoices):
    """Why a SCIM request was refused before it reached the directory."""

    NO_TOKEN = "no_token", "No API token sent"
    MALFORMED = "malformed", "Malformed API token"
    UNKNOWN = "unknown", "Unknown API token"
    UNSAVED = "unsaved", "API token never saved"
    REVOKED = "revoked", "Revoked API token"
    EXPIRED = "expired", "Expired API token"
    TOKEN_ACCESS_OFF = "token_access_off", "Token Access off"
    WRONG_DOMAIN = "wrong_domain", "Another account's address"
    NOT_ADMIN = "not_admin", "Admin Username is not an admin"
    THROTTLED = "throttled", "Too many requests"


class ScimRequest(models.Model):
    """The last SCIM requests of a tenant, for the Provisioning tab; trimmed as it grows.

    Refused requests are kept too, under the account the address or the token names; the
    secret itself is never stored, only the token row it matched (if any).
    """

    # Not indexed alone: scim_request_tenant_recent leads with it.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    token = models.ForeignKey(
        "tokens.ApiToken", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    # The SCIM error body's "detail" for answers of 400 and above, as the client saw it.
    detail = models.CharField(max_length=500, blank=True)
    refusal = models.CharField(max_length=20, choices=Refusal.choices, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="scim_request_tenant_recent")]
        verbose_name = "SCIM request"

    def __str__(self):
        return f"{self.method} {self.shown_path} {self.status}"

    @property
    def shown_path(self) -> str:
        """The path as sent, as screens show it: rows stored before redaction may hold a token."""
        return redact_secrets(self.path)

    @property
    def decoded_path(self) -> str:
        """The path as a person reads it: %20 and %22 decoded, and in the query string `+` as
        the space it stands for (display only); secrets redacted after decoding, so that no
        percent-encoding hides a token."""
        base, question, query = self.path.partition("?")
        return redact_secrets(unquote(base) + question + unquote_plus(query))

    @property
    def outcome(self) -> str:
        """ "refused", "error" or "ok", the chart's three series."""
        if self.refusal or self.status in (401, 403, 429):
            return "refused"
        return "error" if self.status >= 400 else "ok"
