from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.audit.models import AuditEvent
from apps.groups import services
from apps.groups.forms import AddMembersForm, AddToGroupsForm, GroupForm, MemberSearchForm
from apps.groups.models import Group, GroupMembership
from apps.tenants.counting import BoundedCount, BoundedPaginator
from apps.tenants.decorators import tenant_admin_required
from apps.users.models import User
from apps.users.services import get_user_for

PAGE_SIZE = 50
CANDIDATES_SHOWN = 20
HISTORY_SIZE = 50


@tenant_admin_required
@require_GET
def group_list(request):
    groups = (
        Group.objects.for_tenant(request.tenant)
        # Counted per group on the page, up to COUNT_BOUND + 1: not a join of every membership.
        .annotate(
            member_count=BoundedCount(
                GroupMembership.objects.filter(tenant=request.tenant, group=OuterRef("pk"))
            )
        )
        .order_by(Lower("display_name"), "id")
    )
    page = Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "groups/list.html", {"page": page})


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = GroupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            group = services.create_group(
                tenant=request.tenant,
                actor=request.user,
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Group {group.display_name} created. Add its members below.")
            return redirect("groups:detail", group_id=group.public_id)
    return render(request, "groups/create.html", {"form": form}, status=400 if form.errors else 200)


def _render_detail(request, group, *, rename_form=None, add_form=None, ticked=(), status=200):
    tenant = request.tenant
    search_form = MemberSearchForm(request.GET)
    query = search_form.cleaned_data["q"].strip() if search_form.is_valid() else ""
    # Exists, not a join: the name index is read in order and the first page of a big group
    # comes after a few rows; a small group's few members are read by the group instead.
    members = (
        User.objects.for_tenant(tenant)
        .filter(Exists(GroupMembership.objects.filter(group=group, user=OuterRef("pk"))))
        .select_related("custom_role")
        .order_by(Lower("user_name"), "id")
    )
    members_page = BoundedPaginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    candidates = _candidates(tenant, group, query)
    history = AuditEvent.objects.for_tenant(tenant).for_target(group)[:HISTORY_SIZE]
    members_query = request.GET.copy()
    members_query.pop("page", None)
    return render(
        request,
        "groups/detail.html",
        {
            "group": group,
            "rename_form": rename_form or GroupForm(initial={"display_name": group.display_name}),
            "add_form": add_form or AddMembersForm(),
            # A refused add shows the same rows ticked again.
            "ticked": set(ticked),
            "search_form": search_form,
            "query": query,
            "members_page": members_page,
            "candidates": candidates[:CANDIDATES_SHOWN],
            "more_candidates": len(candidates) > CANDIDATES_SHOWN,
            "members_query": members_query.urlencode(),
            "history": history,
            "history_names": {str(group.public_id): group.display_name},
        },
        status=status,
    )


def _candidates(tenant, group, query: str) -> list:
    """The first agents who are not members, active ones first, each part in name order:
    two reads of the name index instead of a sort of every agent."""
    agents = (
        User.objects.for_tenant(tenant)
        .agents()
        .exclude(Exists(GroupMembership.objects.filter(group=group, user=OuterRef("pk"))))
    )
    if query:
        agents = agents.search(query, tenant=tenant)
    agents = agents.select_related("custom_role").order_by(Lower("user_name"), "id")
    wanted = CANDIDATES_SHOWN + 1
    active = list(agents.filter(is_active=True)[:wanted])
    if len(active) == wanted:
        return active
    return active + list(agents.filter(is_active=False)[: wanted - len(active)])


@tenant_admin_required
@require_GET
def group_detail(request, group_id):
    group = services.get_group_for(request.tenant, group_id)
    return _render_detail(request, group)


@tenant_admin_required
@require_POST
def rename(request, group_id):
    group = services.get_group_for(request.tenant, group_id)
    old_name = group.display_name
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            services.update_group(
                tenant=request.tenant,
                actor=request.user,
                group=group,
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if group.display_name != old_name:
                messages.success(request, f"Group {old_name} is now called {group.display_name}.")
            return redirect("groups:detail", group_id=group.public_id)
    group.refresh_from_db()
    return _render_detail(request, group, rename_form=form, status=400)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@tenant_admin_required
@require_POST
def add_members(request, group_id):
    """Add the ticked agents, all or none: a refusal names each user it refuses."""
    tenant = request.tenant
    group = services.get_group_for(tenant, group_id)
    form = AddMembersForm(request.POST)
    if form.is_valid():
        try:
            users = services.find_members(
                tenant, [str(i) for i in form.cleaned_data["user_id"]], strict=True
            )
            added = services.add_group_members(
                tenant=tenant, actor=request.user, group=group, users=users
            )
        except ValidationError as error:
            form.add_error(None, error)
            # All or none: say so, and what to do instead.
            form.add_error(None, "No one was added. Untick them and add the others again.")
        else:
            if added:
                messages.success(
                    request,
                    f"Added {len(added)} member{'s' if len(added) != 1 else ''} to "
                    f"{group.display_name}: {_join([u.user_name for u in added])}.",
                )
            else:
                messages.info(request, f"They are already members of {group.display_name}.")
            return redirect("groups:detail", group_id=group.public_id)
    ticked = request.POST.getlist("user_id")
    return _render_detail(request, group, add_form=form, ticked=ticked, status=400)


@tenant_admin_required
@require_POST
def remove_member(request, group_id, user_id):
    tenant = request.tenant
    group = services.get_group_for(tenant, group_id)
    user = get_user_for(tenant, user_id)
    removed = services.remove_group_members(
        tenant=tenant, actor=request.user, group=group, users=[user]
    )
    if removed:
        messages.success(request, f"{user.user_name} was removed from {group.display_name}.")
    return redirect("groups:detail", group_id=group.public_id)


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def delete(request, group_id):
    tenant = request.tenant
    group = services.get_group_for(tenant, group_id)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.delete_group(tenant=tenant, actor=request.user, group=group)
        messages.success(request, f"Group {group.display_name} was deleted.")
        return redirect("groups:list")
    member_count = GroupMembership.objects.filter(group=group).count()
    return render(request, "groups/delete.html", {"group": group, "member_count": member_count})


@tenant_admin_required
@require_POST
def add_user_to_groups(request, user_id):
    """A user's page: add them to the ticked groups, all or none."""
    tenant = request.tenant
    user = get_user_for(tenant, user_id)
    form = AddToGroupsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["group_id"]))
        return redirect(_user_groups_url(user))
    try:
        groups = services.find_groups(tenant, form.cleaned_data["group_id"])
        joined = services.add_user_to_groups(
            tenant=tenant, actor=request.user, user=user, groups=groups
        )
    except ValidationError as error:
        messages.error(request, " ".join([*error.messages, "No group was joined."]))
    else:
        if joined:
            names = _join([g.display_name for g in joined])
            plural = "s" if len(joined) != 1 else ""
            messages.success(
                request, f"{user.user_name} is now a member of the group{plural} {names}."
            )
        else:
            messages.info(request, f"{user.user_name} was already a member of those groups.")
    return redirect(_user_groups_url(user))


def _user_groups_url(user) -> str:
    return reverse("users:detail", kwargs={"user_id": user.public_id}) + "#groups"
