from django.contrib import admin
from django.db.models import Count

from apps.admin_base import LabelledTabularInline, ServiceModelAdmin
from apps.groups import services
from apps.groups.models import Group, GroupMembership
from apps.users.models import User


class MembershipInline(LabelledTabularInline):
    model = GroupMembership
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        # Both ends: each row is named "<user> in <group>".
        return super().get_queryset(request).select_related("user", "group")


@admin.register(Group)
class GroupAdmin(ServiceModelAdmin):
    list_display = ("display_name", "tenant", "external_id", "source", "member_count", "created_at")
    list_filter = ("tenant", "source")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    search_fields = ("display_name", "external_id")
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("tenant", "display_name", "external_id")
        return (
            "tenant",
            "display_name",
            "external_id",
            "source",
            "public_id",
            "version",
            "created_at",
            "modified_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("tenant", "source", "public_id", "version", "created_at", "modified_at")

    @admin.display(description="members", ordering="member_count")
    def member_count(self, group):
        return group.member_count

    def save_through_services(self, request, form, formsets, change):
        added, removed = _member_changes(formsets)
        data = form.cleaned_data
        if not change:
            return services.create_group(
                tenant=data["tenant"],
                actor=request.user,
                display_name=data["display_name"],
                external_id=data["external_id"],
                members=added,
            )
        # A fresh copy: the form has already written the new values onto form.instance.
        group = Group.objects.select_related("tenant").get(pk=form.instance.pk)
        tenant = group.tenant
        group = services.update_group(
            tenant=tenant,
            actor=request.user,
            group=group,
            display_name=data["display_name"],
            external_id=data["external_id"],
        )
        services.remove_group_members(tenant=tenant, actor=request.user, group=group, users=removed)
        services.add_group_members(tenant=tenant, actor=request.user, group=group, users=added)
        group.refresh_from_db()
        return group

    def delete_through_services(self, request, obj):
        services.delete_group(tenant=obj.tenant, actor=request.user, group=obj)


def _member_changes(formsets) -> tuple[list[User], list[User]]:
    """(users to add, users to remove) from the membership inline."""
    added, removed_ids = [], []
    for formset in formsets:
        if formset.model is not GroupMembership:
            continue
        for form in formset.forms:
            initial_user_id = form.initial.get("user")
            if form in formset.deleted_forms:
                if initial_user_id is not None:
                    removed_ids.append(initial_user_id)
                continue
            if "user" not in form.changed_data:
                continue
            if initial_user_id is not None:
                removed_ids.append(initial_user_id)
            added.append(form.cleaned_data["user"])
    return added, list(User.objects.filter(pk__in=removed_ids))
