import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

subdomain_validator = RegexValidator(
    r"^(?!-)[a-z0-9-]{1,63}(?<!-)$",
    "A subdomain is 1 to 63 lowercase letters, digits or hyphens, "
    "not starting or ending with a hyphen.",
    code="invalid",
)


class Tenant(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    subdomain = models.CharField(max_length=63, validators=[subdomain_validator])
    token_access_enabled_at = models.DateTimeField(null=True, blank=True)
    # Role given to users that Entra creates without any role (Provisioning tab).
    provisioning_role = models.CharField(max_length=20, default="agent")
    # Off (None) by default: an API token must not be able to make admins, who could
    # then demote the people who hold the token's account.
    scim_admin_grants_enabled_at = models.DateTimeField(null=True, blank=True)
    # The longest lifetime an API token of the account may be given, in days (None: no
    # maximum, and "never expires" is allowed).
    token_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("subdomain"), name="tenant_subdomain_unique_ci"),
        ]

    def __str__(self):
        return f"{self.name} ({self.subdomain})"

    @property
    def has_token_access(self) -> bool:
        return self.token_access_enabled_at is not None

    @property
    def scim_may_grant_admin(self) -> bool:
        return self.scim_admin_grants_enabled_at is not None
