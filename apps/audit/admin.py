from django.contrib import admin

from apps.admin_base import ReadOnlyAdmin
from apps.audit.models import AuditEvent, ScimRequest


class ActionFamilyFilter(admin.SimpleListFilter):
    # A fixed list by prefix: a DISTINCT over millions of actions would scan the table.
    title = "action"
    parameter_name = "action_family"

    def lookups(self, request, model_admin):
        return [
            ("user.", "User"),
            ("group.", "Group and members"),
            ("role.", "Role"),
            ("token.", "API token"),
            ("tenant.", "Tenant"),
            ("staff.", "Staff account"),
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action__startswith=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "tenant",
        "channel",
        "action",
        "actor_label",
        "target_type",
        "target_label",
    )
    list_filter = ("channel", ActionFamilyFilter, "tenant")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    search_fields = ("target_label", "actor_label", "action", "target_id")
    # The full count of a trail with millions of rows is not worth a query per page.
    show_full_result_count = False
    fields = (
        "created_at",
        "tenant",
        "channel",
        "action",
        "actor_type",
        "actor_id",
        "actor_label",
        "target_type",
        "target_id",
        "target_label",
        "changes",
    )
    readonly_fields = fields


@admin.register(ScimRequest)
class ScimRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "method", "path", "status", "duration_ms", "token")
    list_filter = ("method", "status", "tenant")
    list_select_related = ("tenant", "token")
    date_hierarchy = "created_at"
    search_fields = ("path",)
    fields = ("created_at", "tenant", "token", "method", "path", "status", "duration_ms")
    readonly_fields = fields

    refused_lookups = ("digest",)  # token__digest
