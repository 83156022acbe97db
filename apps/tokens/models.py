from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.tenants.scoping import TenantOwnedQuerySet


class ApiTokenQuerySet(TenantOwnedQuerySet["ApiToken"]):
    def active(self):
        now = timezone.now()
        return self.filter(saved_at__isnull=False, revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def unsaved(self):
        return self.filter(saved_at__isnull=True)

    def not_replaced(self):
        """Tokens with no saved replacement: a replaced one stops at the end of its overlap."""
        return self.exclude(replacements__saved_at__isnull=False)


class ApiToken(models.Model):
    """An API token; only its SHA-256 digest is stored, never the secret."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="tokens")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    description = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    last_four = models.CharField(max_length=4)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The creator's userName when the token was made: it stays after the user is deleted.
    created_by_name = models.CharField("created by (userName)", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A token is generated first and shown once; it works only after the admin saves it
    # with a description. A generated token that is never saved is never usable.
    saved_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The one-time nonce of the form that created the token: a resubmitted form finds it
    # taken and creates nothing, even when two submissions race.
    creation_nonce = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    # The token this one replaces ("Replace"): once this one is saved, the old one works
    # until the end of the overlap the admin chose, which becomes its expires_at.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replacements"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.description} ({self.truncated})"

    @property
    def truncated(self) -> str:
        return f"{self.prefix}…{self.last_four}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_saved(self) -> bool:
        return self.saved_at is not None

    @property
    def is_active(self) -> bool:
        return self.is_saved and not self.is_revoked and not self.is_expired

    @property
    def saved_replacement(self) -> ApiToken | None:
        """The saved token that replaces this one, if any (uses a prefetch of replacements)."""
        return next((token for token in self.replacements.all() if token.is_saved), None)
