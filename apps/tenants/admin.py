from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from apps.tenants import services
from apps.tenants.models import Tenant


class TokenAccessFilter(admin.SimpleListFilter):
    title = "Token Access"
    parameter_name = "token_access"

    def lookups(self, request, model_admin):
        return [("on", "On"), ("off", "Off")]

    def queryset(self, request, queryset):
        if self.value() == "on":
            return queryset.filter(token_access_enabled_at__isnull=False)
        if self.value() == "off":
            return queryset.filter(token_access_enabled_at__isnull=True)
        return queryset


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
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
        "provisioning_role",
        "created_at",
    )
    readonly_fields = fields
    actions = ["enable_token_access", "disable_token_access"]

    # Tenants are created by a management command and have no rename service; the
    # admin only switches Token Access, through the service.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
