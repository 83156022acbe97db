"""Django admin for support staff: find and read everything; superusers change through services."""

from django.contrib import admin, messages
from django.contrib.admin import actions
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy

from apps.audit.models import AuditEvent
from apps.groups.models import GroupMembership
from apps.users import services
from apps.users.models import Source, User, UserEmail, UserPhoneNumber

RECENT_AUDIT_ROWS = 20


def _adopt(instance, saved) -> None:
    """Copy what a service saved onto the admin's form instance, for its log and redirect."""
    for field in saved._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))
    instance._state.adding = False
    instance._state.db = saved._state.db


@admin.action(
    permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s")
)
def delete_selected(modeladmin, request, queryset):
    """Django's bulk delete in one transaction: one refused row and nothing is deleted."""
    try:
        with transaction.atomic():
            return actions.delete_selected(modeladmin, request, queryset)
    except ValidationError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        return None


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes go through the app's services.

    The rules live in the services only, so the admin does not check them again.
    A POST runs the service inside the transaction Django's changeform_view opens;
    when the service raises ValidationError that transaction rolls back (no row,
    no audit event, no admin log entry) and the view runs once more with the same
    POST and a form whose clean() raises the service's error, so Django renders
    the page as for any invalid form: the message on top, the posted values kept.
    Re-checking the rules in the form with the services' private helpers would
    duplicate them and race with concurrent changes; this runs them exactly once.

    Subclasses implement save_through_services() and delete_through_services().
    """

    actions = [delete_selected]

    def save_through_services(self, request, form, formsets, change):
        raise NotImplementedError

    def delete_through_services(self, request, obj):
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or hasattr(request, "refused_change"):
                raise
            request.refused_change = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refused = getattr(request, "refused_change", None)
        if refused is None:
            return form

        class RefusedChangeForm(form):
            def clean(self):
                super().clean()
                raise ValidationError(refused.messages)

        return RefusedChangeForm

    def save_model(self, request, obj, form, change):
        # Nothing is saved here: save_related makes the service call, once the
        # inline rows are known too, so that one change is one service call.
        pass

    def save_related(self, request, form, formsets, change):
        saved = self.save_through_services(request, form, formsets, change)
        _adopt(form.instance, saved)

    def construct_change_message(self, request, form, formsets, add=False):
        # The services saved the inline rows, not formset.save(); the audit trail has them.
        return super().construct_change_message(request, form, [], add)

    def delete_model(self, request, obj):
        self.delete_through_services(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_through_services(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )


class AccountFilter(admin.SimpleListFilter):
    title = "account"
    parameter_name = "account"

    def lookups(self, request, model_admin):
        return [("staff", "Platform staff"), ("tenant", "Tenant users")]

    def queryset(self, request, queryset):
        if self.value() == "staff":
            return queryset.filter(tenant__isnull=True)
        if self.value() == "tenant":
            return queryset.filter(tenant__isnull=False)
        return queryset


class UserEmailInline(admin.TabularInline):
    model = UserEmail
    fields = ("value", "type", "primary", "display")
    extra = 0


class UserPhoneNumberInline(admin.TabularInline):
    model = UserPhoneNumber
    fields = ("value", "type", "primary", "display")
    extra = 0


class UserMembershipInline(admin.TabularInline):
    """The user's groups; membership changes are made on the group's page."""

    model = GroupMembership
    fields = ("group", "created_at")
    readonly_fields = ("group", "created_at")
    extra = 0
    verbose_name = "group membership"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


PROFILE_FIELDS = (
    "display_name",
    "nick_name",
    "name_formatted",
    "given_name",
    "family_name",
    "middle_name",
    "honorific_prefix",
    "honorific_suffix",
    "title",
    "user_type",
    "preferred_language",
    "locale",
    "timezone",
    "profile_url",
    "addresses",
)
ENTERPRISE_FIELDS = (
    "employee_number",
    "cost_center",
    "organization",
    "division",
    "department",
    "manager",
)


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    list_display = (
        "user_name",
        "display_name",
        "primary_email",
        "tenant",
        "role",
        "custom_role",
        "is_active",
        "is_staff",
        "source",
        "created_at",
    )
    list_filter = (AccountFilter, "tenant", "role", "is_active", "source")
    list_select_related = ("tenant", "custom_role")
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
        fieldsets = [
            (None, {"fields": ("tenant", "user_name", "external_id", "is_active")}),
            ("Role", {"fields": ("role", "custom_role")}),
            ("Profile", {"fields": PROFILE_FIELDS, "classes": ["collapse"]}),
            ("Enterprise", {"fields": ENTERPRISE_FIELDS, "classes": ["collapse"]}),
        ]
        if obj is not None:
            fieldsets[0][1]["fields"] += ("public_id", "source")
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
        if obj is None and "tenant" in form.base_fields:
            form.base_fields["tenant"].required = True
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

    def lookup_allowed(self, lookup, value, request=None):
        return not lookup.startswith("password") and super().lookup_allowed(lookup, value, request)

    @admin.display(description="primary email")
    def primary_email(self, user):
        return user.primary_email

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
                source=Source.ADMIN,
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
        {key: form.cleaned_data.get(key) for key in ("value", "type", "primary", "display")}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
