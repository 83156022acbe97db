from django.contrib import admin

from apps.admin_base import ReadOnlyAdmin, ReadOnlyInline, is_set_filter
from apps.sso.models import IdpCertificate, SsoSettings


class IdpCertificateInline(ReadOnlyInline):
    model = IdpCertificate
    fields = ("thumbprint", "subject", "not_before", "not_after")
    readonly_fields = fields


@admin.register(SsoSettings)
class SsoSettingsAdmin(ReadOnlyAdmin):
    """For finding and reading; changes go through Settings → Single sign-on or configure_sso."""

    list_display = ("tenant", "idp_entity_id", "enabled_at", "match_by", "metadata_fetched_at")
    list_filter = (
        is_set_filter(
            "enabled_at",
            title="SSO",
            is_set=("on", "On"),
            not_set=("off", "Off"),
        ),
        "match_by",
    )
    list_select_related = ("tenant",)
    search_fields = ("tenant__subdomain", "tenant__name", "idp_entity_id")
    fields = (
        "tenant",
        "idp_entity_id",
        "idp_sso_url",
        "idp_slo_url",
        "metadata_url",
        "metadata_fetched_at",
        "match_by",
        "enabled_at",
        "idp_initiated_allowed_at",
        "sso_required_at",
        "requests_signed_at",
        "signed_logout_required_at",
        "sp_certificate",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [IdpCertificateInline]
