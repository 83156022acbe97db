from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from apps.admin_base import ReadOnlyAdmin, is_set_filter
from apps.tenants.models import Tenant
from apps.tokens import services
from apps.tokens.models import ApiToken

StateFilter = is_set_filter(
    "revoked_at", "state", is_set=("revoked", "Revoked"), not_set=("active", "Not revoked")
)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Token metadata only: the digest is in no field, column, search, filter or lookup."""

    # What a support person needs at 1280 px; expiry and revocation times are on the page.
    list_display = (
        "description",
        "truncated",
        "tenant",
        "created_by_name",
        "last_used_at",
        "expires_at",
        "state",
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
        "created_by_name",
        "public_id",
        "created_at",
        "saved_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "replaces",
        "state",
    )
    readonly_fields = fields
    actions = ["revoke"]

    # Tokens are made in the tenant's settings, where the secret is shown once; rows are
    # kept for the audit trail. The only change is revoking, through the service.
    refused_lookups = ("digest",)

    def get_queryset(self, request):
        # The state column says whether a token was replaced.
        return super().get_queryset(request).prefetch_related("replacements")

    def has_revoke_permission(self, request):
        return request.user.has_perm("tokens.change_apitoken")

    @admin.display(description="token")
    def truncated(self, token):
        return token.truncated

    @admin.display(description="state")
    def state(self, token):
        if not token.is_saved:
            return "Never saved (does not work)"
        if token.is_revoked:
            return "Revoked"
        if token.is_expired:
            return "Expired"
        if token.saved_replacement is not None:
            return f"Replaced; works until {token.expires_at:%Y-%m-%d %H:%M} UTC"
        return "Active"

    @admin.action(permissions=["revoke"], description="Revoke selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("tenant").filter(revoked_at__isnull=True):
            services.revoke_token(tenant=token.tenant, actor=request.user, token=token)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


TokenAccessFilter = is_set_filter(
    "token_access_enabled_at", "Token Access", is_set=("on", "On"), not_set=("off", "Off")
)


@admin.register(Tenant)
class TenantAdmin(ReadOnlyAdmin):
    """Tenants are created by a management command and have no rename service; the admin
    only switches Token Access, the API module's setting, through its service (so this
    admin lives in tokens, not in tenants, which sits below the services it calls)."""

    list_display = (
        "name",
        "subdomain",
        "has_token_access",
        "provisioning_role",
        "created_at",
        "users_link",
    )
    list_filter = (TokenAccessFilter, "provisioning_role")
    date_hierarchy = "created_at"
    search_fields = ("name", "subdomain")
    fields = (
        "name",
        "subdomain",
        "public_id",
        "token_access_enabled_at",
        "token_max_lifetime_days",
        "provisioning_role",
        "created_at",
    )
    readonly_fields = fields
    actions = ["enable_token_access", "disable_token_access"]

    def has_token_access_permission(self, request):
        return request.user.has_perm("tenants.change_tenant")

    @admin.display(description="Token Access", boolean=True)
    def has_token_access(self, tenant):
        return tenant.has_token_access

    @admin.display(description="users")
    def users_link(self, tenant):
        url = reverse("admin:users_user_changelist", current_app=self.admin_site.name)
        return format_html('<a href="{}?tenant__id__exact={}">Users</a>', url, tenant.pk)

    @admin.action(permissions=["token_access"], description="Turn Token Access on")
    def enable_token_access(self, request, queryset):
        self._set_token_access(request, queryset, enabled=True)

    @admin.action(permissions=["token_access"], description="Turn Token Access off")
    def disable_token_access(self, request, queryset):
        self._set_token_access(request, queryset, enabled=False)

    def _set_token_access(self, request, queryset, *, enabled):
        for tenant in queryset:
            services.set_token_access(tenant=tenant, actor=request.user, enabled=enabled)
        state = "on" if enabled else "off"
        self.message_user(
            request, f"Token Access is {state} for {len(queryset)} tenant(s).", messages.SUCCESS
        )
