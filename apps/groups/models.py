import uuid

from django.db import models
from django.db.models.functions import Lower

from apps.audit.models import Channel
from apps.roles.models import GroupRoleLink
from apps.tenants.scoping import TenantOwnedQuerySet


def has_role_link() -> models.Exists:
    """Whether the group gives its members a custom role: read with the group, so a member
    change of an unlinked group (Entra's PATCH) asks nothing more."""
    return models.Exists(GroupRoleLink.objects.filter(group=models.OuterRef("pk")))


class GroupQuerySet(TenantOwnedQuerySet["Group"]):
    def for_scim(self, tenant, *, members: bool):
        """The tenant's groups in id order; with `members`, every membership and its user in
        one more query for the whole page."""
        queryset = self.for_tenant(tenant).order_by("pk").annotate(has_role_link=has_role_link())
        return queryset.prefetch_related(self.members_prefetch()) if members else queryset

    def members_prefetch(self) -> models.Prefetch:
        """Every membership of the groups, with its user, in one query."""
        memberships = GroupMembership.objects.select_related("user").order_by("pk")
        return models.Prefetch("memberships", memberships)

    def count_for(self, tenant) -> int:
        """The tenant's number of groups, exact, from the counters (no COUNT over the table)."""
        return GroupCount.objects.total_for(tenant)


class Group(models.Model):
    """A tenant's group of agents (not django.contrib.auth's Group)."""

    # Not indexed alone: every tenant-scoped index of groups leads with the tenant.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="groups", db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    display_name = models.CharField("display name", max_length=255)
    external_id = models.CharField("external ID", max_length=255, blank=True)
    # Where the group was created (settings page, SCIM, admin, command), whatever externalId says.
    source = models.CharField(max_length=20, choices=Channel.choices, default=Channel.UI)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "public_id"], name="group_public_id_unique_per_tenant"
            ),
            models.UniqueConstraint(
                "tenant",
                Lower("display_name"),
                name="group_display_name_unique_per_tenant_ci",
                violation_error_message=(
                    "A group with this displayName already exists in this account."
                ),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "external_id"], name="group_tenant_external_id")]

    def __str__(self):
        return self.display_name


class GroupMembership(models.Model):
    """One row per member, so a member is added or removed without loading the group."""

    # The group's tenant, stored so the table can be distributed by tenant (Citus) and its
    # keys lead with it; the composite indexes below serve tenant lookups.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "group", "user"], name="membership_unique_per_tenant"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "user", "group"], name="membership_tenant_user_group")
        ]

    def __str__(self):
        # Admin inlines show it above each row; both ends are loaded there (select_related
        # and the inline's parent), so naming them costs no query.
        return f"{self.user} in {self.group}"


class GroupCountQuerySet(models.QuerySet):
    def total_for(self, tenant) -> int:
        tenant_id = getattr(tenant, "pk", tenant)
        return self.filter(tenant_id=tenant_id).aggregate(total=models.Sum("count"))["total"] or 0


class GroupCount(models.Model):
    """The tenant's number of groups, kept exact by database triggers (as users.UserCount)."""

    # Not indexed alone: the (tenant, shard) unique constraint leads with it.
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    shard = models.PositiveSmallIntegerField()
    count = models.BigIntegerField(default=0)

    objects = GroupCountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "shard"], name="group_count_tenant_shard")
        ]

    def __str__(self):
        return f"{self.tenant_id}/{self.shard}: {self.count}"
