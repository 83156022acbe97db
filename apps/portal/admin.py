"""django-axes' sign-in records in the support admin, on the shared admin base.

Support staff read them; a superuser lifts a lock by deleting its attempt rows (or with
the "Lift sign-in lockouts" action on users, which is audited).
"""

from axes.models import AccessAttempt, AccessLog
from django.contrib import admin

from apps.admin_base import ReadOnlyAdmin


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ReadOnlyAdmin):
    list_display = ("attempt_time", "username", "ip_address", "failures_since_start", "path_info")
    list_filter = ("path_info",)
    date_hierarchy = "attempt_time"
    search_fields = ("username", "ip_address")
    fields = (
        "attempt_time",
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "failures_since_start",
    )
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("attempt_time", "username", "ip_address", "logout_time", "path_info")
    date_hierarchy = "attempt_time"
    search_fields = ("username", "ip_address")
    fields = ("attempt_time", "logout_time", "username", "ip_address", "user_agent", "path_info")
    readonly_fields = fields
