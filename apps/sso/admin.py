from django.contrib import admin

from apps.sso.models import IdpCertificate, SsoSettings


class IdpCertificateInline(admin.TabularInline):
    model = IdpCertificate
    fields = ("thumbprint", "subject", "not_before", "not_after")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SsoSettings)
class SsoSettingsAdmin(admin.ModelAdmin):
    """For finding and reading; changes go through Settings → Single sign-on or configure_sso."""

    list_display = ("tenant", "idp_entity_id", "enabled_at", "match_by", "metadata_fetched_at")
    list_filter = ("match_by",)
    list_select_related = ("tenant",)
    search_fields = ("tenant__subdomain", "tenant__name", "idp_entity_id")
    readonly_fields = (
        "tenant",
        "idp_entity_id",
        "idp_sso_url",
        "metadata_url",
        "metadata_fetched_at",
        "match_by",
        "enabled_at",
        "idp_initiated_allowed_at",
        "sso_required_at",
        "created_at",
        "updated_at",
    )
    inlines = [IdpCertificateInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
