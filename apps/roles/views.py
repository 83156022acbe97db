import json
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, OuterRef, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.roles import services
from apps.roles.forms import GroupRoleLinkForm, RoleForm
from apps.roles.models import BuiltinRole, GroupRoleLink, Role
from apps.tenants.counting import BoundedCount
from apps.tenants.decorators import tenant_admin_required

# What Entra ID accepts as an app role's value: no spaces, at most 120 characters from
# this set, and not starting with a dot (Microsoft Graph, appRole resource type).
ENTRA_VALUE = re.compile(r"[A-Za-z0-9!#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]{1,120}")


def entra_value(role: Role) -> str:
    """The role's value (spaces as underscores), the one SCIM answers with too."""
    return role.value


def is_valid_entra_value(value: str) -> bool:
    return bool(ENTRA_VALUE.fullmatch(value)) and not value.startswith(".")


def entra_app_roles(tenant) -> list[dict]:
    """The tenant's roles as the appRoles of an Entra ID application manifest."""
    return [
        {
            "allowedMemberTypes": ["User"],
            "description": role.description or role.name,
            "displayName": role.get_builtin_display() if role.is_builtin else role.name,
            "id": str(role.public_id),
            "isEnabled": True,
            "value": entra_value(role),
        }
        for role in Role.objects.for_tenant(tenant).order_by("created_at", "id")
    ]


def _custom_role_for(tenant, role_id) -> Role:
    role = services.get_role_for(tenant, role_id)
    if role.is_builtin:
        raise Http404("Built-in roles cannot be changed.")
    return role


@tenant_admin_required
@require_GET
def role_list(request):
    tenant = request.tenant
    # Built-in roles count the users whose User.role they are; custom roles their holders;
    # each up to COUNT_BOUND + 1 ("More than 10,000"), so the page costs the same at any size.
    # Each built-in role is named in its own subquery, not matched to the row: PostgreSQL
    # then plans each from the role's own statistics (an index for the one admin, a short
    # scan for the many agents) instead of one plan for all three.
    builtin_counts = [
        When(builtin=builtin, then=BoundedCount(tenant.users.filter(role=builtin)))
        for builtin in BuiltinRole.values
    ]
    roles = list(
        Role.objects.for_tenant(tenant)
        .annotate(
            member_count=Case(
                *builtin_counts,
                default=BoundedCount(tenant.users.filter(custom_role=OuterRef("pk"))),
            )
        )
        .order_by("created_at", "id")
    )
    app_roles = entra_app_roles(tenant)
    refused = [item["value"] for item in app_roles if not is_valid_entra_value(item["value"])]
    links = (
        GroupRoleLink.objects.for_tenant(tenant)
        .select_related("group", "role")
        .annotate(
            member_count=BoundedCount(tenant.users.filter(memberships__group=OuterRef("group")))
        )
        .in_order()
    )
    return render(
        request,
        "roles/list.html",
        {
            "group_links": list(links),
            "link_form": GroupRoleLinkForm(tenant=tenant),
            "builtin_roles": [r for r in roles if r.is_builtin],
            "custom_roles": [r for r in roles if not r.is_builtin],
            "app_roles_json": json.dumps(app_roles, indent=2, ensure_ascii=False),
            "refused_values": refused,
        },
    )


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = RoleForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            role = services.create_role(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Role {role.name} created.")
            return redirect("roles:list")
    return render(
        request, "roles/form.html", {"form": form, "role": None}, status=400 if form.errors else 200
    )


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def edit(request, role_id):
    role = _custom_role_for(request.tenant, role_id)
    if request.method == "POST":
        form = RoleForm(request.POST)
    else:
        form = RoleForm(initial={"name": role.name, "description": role.description})
    if form.is_valid():
        try:
            services.update_role(
                tenant=request.tenant, actor=request.user, role=role, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Role {role.name} saved.")
            return redirect("roles:list")
    return render(
        request, "roles/form.html", {"form": form, "role": role}, status=400 if form.errors else 200
    )


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def delete(request, role_id):
    tenant = request.tenant
    role = _custom_role_for(tenant, role_id)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if form.is_valid():
        moved = services.delete_role(tenant=tenant, actor=request.user, role=role)
        if moved == 1:
            held = " The user who held it is now a plain agent."
        elif moved:
            held = f" The {moved} users who held it are now plain agents."
        else:
            held = ""
        messages.success(request, f"Role {role.name} was deleted.{held}")
        return redirect("roles:list")
    holder_count = role.holders.count()
    return render(request, "roles/delete.html", {"role": role, "holder_count": holder_count})


def _back(request):
    """Where a link change was asked from (the Roles page or a group's page)."""
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("roles:list")


@tenant_admin_required
@require_POST
def link_group(request):
    form = GroupRoleLinkForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request)
    group, role = form.cleaned_data["group"], form.cleaned_data["role"]
    try:
        services.link_group_role(tenant=request.tenant, actor=request.user, group=group, role=role)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Members of {group.display_name} now hold {role.name}, "
            "unless a custom role is assigned to them directly.",
        )
    return _back(request)


@tenant_admin_required
@require_POST
def unlink_group(request, group_id):
    link = services.get_link_for(request.tenant, group_id)
    services.unlink_group_role(tenant=request.tenant, actor=request.user, link=link)
    messages.success(
        request, f"Members of {link.group.display_name} no longer hold {link.role.name} through it."
    )
    return _back(request)


@tenant_admin_required
@require_POST
def move_link_up(request, group_id):
    link = services.get_link_for(request.tenant, group_id)
    services.move_group_role_link(tenant=request.tenant, actor=request.user, link=link, up=True)
    messages.success(request, f"{link.group.display_name} moved up.")
    return _back(request)


@tenant_admin_required
@require_POST
def move_link_down(request, group_id):
    link = services.get_link_for(request.tenant, group_id)
    services.move_group_role_link(tenant=request.tenant, actor=request.user, link=link, up=False)
    messages.success(request, f"{link.group.display_name} moved down.")
    return _back(request)
