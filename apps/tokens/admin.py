from django.contrib import admin, messages

from apps.tokens import services
from apps.tokens.models import ApiToken


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Not revoked"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Token metadata only: the digest is in no field, column, search, filter or lookup."""

    list_display = (
        "description",
        "truncated",
        "tenant",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = (StateFilter, "tenant", "created_at")
    list_select_related = ("tenant", "created_by")
    date_hierarchy = "created_at"
    search_fields = ("description", "prefix", "tenant__subdomain")
    fields = (
        "description",
        "truncated",
        "tenant",
        "created_by",
        "public_id",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def lookup_allowed(self, lookup, value, request=None):
        return "digest" not in lookup and super().lookup_allowed(lookup, value, request)

    # Tokens are made in the tenant's settings, where the secret is shown once; rows are
    # kept for the audit trail. The only change is revoking, through the service.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("tokens.change_apitoken")

    @admin.display(description="token")
    def truncated(self, token):
        return token.truncated

    @admin.action(permissions=["revoke"], description="Revoke selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("tenant").filter(revoked_at__isnull=True):
            services.revoke_token(tenant=token.tenant, actor=request.user, token=token)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
