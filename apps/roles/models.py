import re
import uuid

from django.db import models

from apps.tenants.scoping import TenantOwnedQuerySet


class BuiltinRole(models.TextChoices):
    END_USER = "end-user", "End-user"
    AGENT = "agent", "Agent"
    ADMIN = "admin", "Admin"


def normalize_role_name(name: str) -> str:
    """Fold a role name so that "End User", "end_user" and "ENDUSER " compare equal."""
    return re.sub(r"[\s\-_]+", "", name).casefold()


class RoleQuerySet(TenantOwnedQuerySet["Role"]):
    def custom(self):
        return self.filter(builtin="")


class Role(models.Model):
    # Not indexed alone: the tenant's unique role names lead with it.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="roles", db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    normalized_name = models.CharField(max_length=100, editable=False)
    description = models.CharField(max_length=500, blank=True)
    # One of BuiltinRole for the three roles every tenant has; blank for custom roles.
    builtin = models.CharField(max_length=20, choices=BuiltinRole.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "normalized_name"], name="role_name_unique_per_tenant"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_builtin(self) -> bool:
        return bool(self.builtin)

    @property
    def value(self) -> str:
        """The role's one value everywhere: the appRoles value Entra stores and sends back,
        /Roles and users' roles. Entra's values cannot hold spaces, so a custom role's
        spaces become underscores ("Tier 2 Specialist" is Tier_2_Specialist)."""
        return self.builtin or "_".join(self.name.split())


class GroupRoleLinkQuerySet(TenantOwnedQuerySet["GroupRoleLink"]):
    def in_order(self):
        """The admin's order: the first link a user's groups reach gives their group role."""
        return self.order_by("position", "pk")


class GroupRoleLink(models.Model):
    """A group whose members hold a custom role (a permission profile) through it.

    The group is named by string: the groups app sits above roles, and its members' group
    role is stored on each user (users.User.group_role) by apps.roles.services."""

    # Not indexed alone: the tenant's links are read in order by the index below.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    group = models.OneToOneField("groups.Group", on_delete=models.CASCADE, related_name="role_link")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="group_links")
    # Lower first; the first link among a user's groups wins.
    position = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GroupRoleLinkQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="group_role_link_order")]

    def __str__(self):
        return f"{self.group_id} → {self.role_id}"
