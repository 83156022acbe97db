from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from apps.admin_base import ReadOnlyAdmin
from apps.audit import export, wording
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
            ("audit.", "Retention runs"),
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action__startswith=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    # The sentence names who did what to whom; the codes are the action column and the page.
    list_display = ("created_at", "tenant", "what_happened", "channel", "action")
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
        "what_happened",
        "readable_changes",
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

    def get_urls(self):
        export_view = self.admin_site.admin_view(self.export_view)
        return [
            path("export/<str:file_format>/", export_view, name="audit_auditevent_export"),
            *super().get_urls(),
        ]

    def export_view(self, request, file_format):
        """The changelist's rows, with its filters and search, every page, as a file."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if file_format not in export.FORMATS:
            raise Http404("Export as csv or jsonl.")
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "Those filters are not valid, so nothing was exported.")
            return HttpResponseRedirect(reverse("admin:audit_auditevent_changelist"))
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        return export.export_response(
            changelist.queryset, file_format=file_format, filename=f"audit-events-{stamp}"
        )

    @admin.display(description="what happened")
    def what_happened(self, event):
        return f"{wording.sentence(event)}."

    @admin.display(description="changes, readable")
    def readable_changes(self, event):
        lines = wording.change_lines(event)
        if not lines:
            return "—"
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            (
                (
                    line["field"],
                    f"{line['before']} → {line['after']}" if line["before"] else line["after"],
                )
                for line in lines
            ),
        )


@admin.register(ScimRequest)
class ScimRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "request", "status", "result")
    list_filter = ("method", "status", "refusal", "tenant")
    list_select_related = ("tenant", "token")
    date_hierarchy = "created_at"
    search_fields = ("path",)
    fields = (
        "created_at",
        "tenant",
        "token",
        "method",
        "decoded_path",
        "shown_path",
        "status",
        "refusal",
        "detail",
        "duration_ms",
    )
    readonly_fields = fields

    refused_lookups = ("digest",)  # token__digest

    @admin.display(description="request")
    def request(self, row):
        return f"{row.method} {row.decoded_path}"

    @admin.display(description="path, decoded")
    def decoded_path(self, row):
        return row.decoded_path

    @admin.display(description="result")
    def result(self, row):
        parts = [row.get_refusal_display() if row.refusal else "", row.detail]
        return " — ".join(part for part in parts if part) or "—"

    @admin.display(description="path, as sent")
    def shown_path(self, row):
        return row.shown_path
