"""Django admin for support staff: find and read everything; superusers change through services."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import Group as PermissionGroup
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from apps.admin_base import (
    LabelledTabularInline,
    ReadOnlyInline,
    ServiceModelAdmin,
    is_set_filter,
)
from apps.audit.models import AuditEvent, Channel
from apps.users import services
from apps.users.models import MultiValuedAttribute, User, UserEmail, UserPhoneNumber

# Our groups.Group is the "Groups" support staff look for; Django's permission groups
# (the Support group) are assigned on each staff account's page.
admin.site.unregister(PermissionGroup)

RECENT_AUDIT_ROWS = 20


AccountFilter = is_set_filter(
    "tenant", "account", is_set=("tenant", "Tenant users"), not_set=("staff", "Platform staff")
)


class UserEmailInline(LabelledTabularInline):
    model = UserEmail
    fields = MultiValuedAttribute.KEYS
    extra = 0


class UserPhoneNumberInline(LabelledTabularInline):
    model = UserPhoneNumber
    fields = MultiValuedAttribute.KEYS
    extra = 0


class UserMembershipInline(ReadOnlyInline):
    """The user's groups; membership changes are made on the group's page."""

    # The groups app sits above users: its membership model is reached through the
    # reverse relation (user.memberships), not imported.
    model = User.memberships.rel.related_model
    fields = ("group", "created_at")
    readonly_fields = ("group", "created_at")
    verbose_name = "group membership"

    def get_queryset(self, request):
        # Both ends: each row is named "<user> in <group>".
        return super().get_queryset(request).select_related("group", "user")


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    refused_lookups = ("password",)
    # What a support person needs to find someone, at 1280 px; the rest is on the page.
    list_display = (
        "user_name",
        "display_name",
        "account",
        "role_label",
        "is_active",
        "source_label",
    )
    list_filter = (AccountFilter, "tenant", "role", "is_active", "source")
    list_select_related = ("tenant", "custom_role", "group_role", "group_role_group")
    date_hierarchy = "created_at"
    search_fields = (
        "user_name",
        "display_name",
        "given_name",
        "family_name",
        "emails__value",
        "external_id",
    )
    raw_id_fields = ("manager",)
    inlines = [UserEmailInline, UserPhoneNumberInline, UserMembershipInline]
    actions = [*ServiceModelAdmin.actions, "unlock_sign_in"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("emails")

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.tenant_id is None:
            return [
                (None, {"fields": ("user_name", "public_id", "is_active", "last_login")}),
                (
                    "Platform staff",
                    {
                        "fields": ("is_staff", "is_superuser", "groups"),
                        "description": 'Members of the "Support" group can view every '
                        "tenant's directory, tokens and audit trail, and change nothing.",
                    },
                ),
                ("History", {"fields": ("created_at", "recent_audit")}),
            ]
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": ("tenant", "user_name", "external_id", "is_active")}),
            ("Role", {"fields": ("role", "custom_role")}),
            ("Profile", {"fields": services.PROFILE_FIELDS, "classes": ["collapse"]}),
            (
                "Enterprise",
                {"fields": (*services.ENTERPRISE_FIELDS, "manager"), "classes": ["collapse"]},
            ),
        ]
        if obj is not None:
            fieldsets[0][1]["fields"] += ("public_id", "source")
            fieldsets[1][1]["fields"] += ("effective_role",)
            fieldsets.append(
                (
                    "History",
                    {
                        "fields": (
                            "version",
                            "created_at",
                            "modified_at",
                            "last_login",
                            "recent_audit",
                        )
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.tenant_id is None:
            # Superuser status is granted with createsuperuser, not with a click.
            return (
                "user_name",
                "public_id",
                "last_login",
                "is_superuser",
                "created_at",
                "recent_audit",
            )
        return (
            "tenant",
            "effective_role",
            "public_id",
            "source",
            "version",
            "created_at",
            "modified_at",
            "last_login",
            "recent_audit",
        )

    def get_inlines(self, request, obj):
        if obj is None:
            return [UserEmailInline, UserPhoneNumberInline]
        if obj.tenant_id is None:
            return []
        return self.inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.tenant_id is not None and "custom_role" in form.base_fields:
            roles = form.base_fields["custom_role"].queryset
            form.base_fields["custom_role"].queryset = roles.filter(
                tenant_id=obj.tenant_id, builtin=""
            )
        return form

    def has_delete_permission(self, request, obj=None):
        # Platform staff accounts are deactivated, not deleted: the trail names them.
        if obj is not None and obj.tenant_id is None:
            return False
        return super().has_delete_permission(request, obj)

    def has_unlock_permission(self, request):
        return request.user.has_perm("users.change_user")

    @admin.action(permissions=["unlock"], description="Lift sign-in lockouts of selected users")
    def unlock_sign_in(self, request, queryset):
        for user in queryset.select_related("tenant"):
            services.unlock_sign_in(actor=request.user, user=user)
        self.message_user(
            request, f"{len(queryset)} user(s) can sign in again now.", messages.SUCCESS
        )

    @admin.display(description="primary email")
    def primary_email(self, user):
        return user.primary_email

    @admin.display(description="account", ordering="tenant__subdomain")
    def account(self, user):
        return user.tenant.subdomain if user.tenant_id else "Platform staff"

    @admin.display(description="role", ordering="role")
    def role_label(self, user):
        """Staff have no directory role: say what they are instead of the column default."""
        if user.tenant_id is None:
            return "Superuser" if user.is_superuser else "Support staff"
        if user.custom_role_id:
            return f"{user.get_role_display()} · {user.custom_role.name}"
        if user.group_role_id:
            return (
                f"{user.get_role_display()} · {user.group_role.name}, {user.effective_role_source}"
            )
        return user.get_role_display()

    @admin.display(description="effective custom role")
    def effective_role(self, user):
        """The custom role the user holds and where it comes from: directly or from a group."""
        effective = user.effective_custom_role
        return f"{effective.name}, {user.effective_role_source}" if effective else "—"

    @admin.display(description="source", ordering="source")
    def source_label(self, user):
        return "—" if user.tenant_id is None else user.get_source_display()

    @admin.display(description=f"last {RECENT_AUDIT_ROWS} audit events")
    def recent_audit(self, user):
        events = AuditEvent.objects.for_tenant(user.tenant_id).for_target(user)[:RECENT_AUDIT_ROWS]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.get_channel_display(),
                    e.action,
                    e.actor_label,
                    ", ".join(e.changes),
                )
                for e in events
            ),
        )
        if not rows:
            return "No audit events."
        trail = reverse("admin:audit_auditevent_changelist", current_app=self.admin_site.name)
        return format_html(
            "<table><thead><tr><th>When</th><th>Channel</th><th>Action</th><th>Actor</th>"
            "<th>Fields</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}?target_type=user&amp;target_id={}">Full trail</a></p>',
            rows,
            trail,
            user.public_id,
        )

    def save_through_services(self, request, form, formsets, change):
        attributes = {
            name: form.cleaned_data[name]
            for name in (form.changed_data if change else form.cleaned_data)
            if name in services.ALL_FIELDS
        }
        for field, model in services.MULTI_VALUED.items():
            formset = next((f for f in formsets if f.model is model), None)
            if formset is not None and formset.has_changed():
                attributes[field] = _multi_valued_rows(formset)
        if change and form.instance.tenant_id is None:
            return services.update_staff_account(
                actor=request.user,
                user=User.objects.get(pk=form.instance.pk),
                is_active=form.cleaned_data["is_active"],
                is_staff=form.cleaned_data["is_staff"],
                groups=form.cleaned_data["groups"],
            )
        if not change:
            return services.create_user(
                tenant=form.cleaned_data["tenant"],
                actor=request.user,
                attributes=attributes,
                source=Channel.ADMIN,
            )
        # A fresh copy: the form has already written the new values onto form.instance.
        user = User.objects.select_related("tenant").get(pk=form.instance.pk)
        return services.update_user(
            tenant=user.tenant, actor=request.user, user=user, attributes=attributes
        )

    def delete_through_services(self, request, obj):
        services.delete_user(tenant=obj.tenant, actor=request.user, user=obj)


def _multi_valued_rows(formset) -> list[dict]:
    """The emails or phone numbers the formset leaves, as the services take them."""
    return [
        {key: form.cleaned_data.get(key) for key in MultiValuedAttribute.KEYS}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
