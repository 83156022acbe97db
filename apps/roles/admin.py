from django.contrib import admin
from django.db.models import Count

from apps.admin_base import ReadOnlyAdmin, ServiceModelAdmin, is_set_filter
from apps.roles import services
from apps.roles.models import GroupRoleLink, Role

KindFilter = is_set_filter(
    "builtin", "kind", is_set=("builtin", "Built-in"), not_set=("custom", "Custom")
)


@admin.register(Role)
class RoleAdmin(ServiceModelAdmin):
    list_display = ("name", "tenant", "kind", "holder_count", "description", "created_at")
    list_filter = (KindFilter, "tenant")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    search_fields = ("name", "description")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(holder_count=Count("holders"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("tenant", "name", "description")
        return (
            "tenant",
            "name",
            "description",
            "builtin",
            "public_id",
            "created_at",
            "modified_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("tenant", "builtin", "public_id", "created_at", "modified_at")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # Holders protect a role from a plain delete, but delete_role moves them to agent.
        deleted, model_count, perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, perms_needed, []

    @admin.display(description="kind")
    def kind(self, role):
        return "built-in" if role.is_builtin else "custom"

    @admin.display(description="custom role holders", ordering="holder_count")
    def holder_count(self, role):
        return "—" if role.is_builtin else role.holder_count

    def save_through_services(self, request, form, formsets, change):
        data = form.cleaned_data
        if not change:
            return services.create_role(
                tenant=data["tenant"],
                actor=request.user,
                name=data["name"],
                description=data["description"],
            )
        role = Role.objects.select_related("tenant").get(pk=form.instance.pk)
        return services.update_role(
            tenant=role.tenant,
            actor=request.user,
            role=role,
            name=data["name"],
            description=data["description"],
        )

    def delete_through_services(self, request, obj):
        services.delete_role(tenant=obj.tenant, actor=request.user, role=obj)


@admin.register(GroupRoleLink)
class GroupRoleLinkAdmin(ReadOnlyAdmin):
    """Groups linked to custom roles, read-only: admins link them on the Roles page."""

    list_display = ("group", "role", "position", "tenant", "created_at")
    list_filter = ("tenant",)
    list_select_related = ("group", "role", "tenant")
    search_fields = ("group__display_name", "role__name")
