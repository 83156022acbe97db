from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.audit.models import AuditEvent
from apps.roles.models import BuiltinRole
from apps.tenants.counting import BoundedPaginator
from apps.tenants.decorators import tenant_admin_required
from apps.users import services
from apps.users.forms import UserFilterForm, UserRoleForm
from apps.users.models import User, UserEmail

PAGE_SIZE = 50
HISTORY_SIZE = 50
JOINABLE_GROUPS_SHOWN = 50


def _filtered_users(tenant, data: dict):
    """The users the filters leave, and whether they are known to be over COUNT_BOUND."""
    users = User.objects.for_tenant(tenant)
    if role := data.get("role"):
        if role in BuiltinRole.values:
            users = users.filter(role=role)
        else:
            users = users.filter(custom_role__public_id=role)
    if active := data.get("active"):
        users = users.filter(is_active=active == "yes")
    if group := data.get("group"):
        # Exists, not a join: the list is read in its own order, probing each user's row.
        users = users.filter(Exists(group.memberships.filter(user=OuterRef("pk"))))
    # Last: the search sizes its matches among the users the other filters leave.
    if query := data.get("q", "").strip():
        return users.search_with_size(query, tenant=tenant)
    return users, False


def _with_group_counts(users: list[User]) -> list[User]:
    """Each user's number of groups, counted for this page's users only."""
    # Groups are above users: their memberships are reached by the reverse relation.
    counts = dict(
        User.objects.filter(pk__in=[user.pk for user in users])
        .order_by()
        .annotate(n=Count("memberships"))
        .values_list("pk", "n")
    )
    for user in users:
        # What the list's annotation used to give; the template reads it the same way.
        user.group_count = counts.get(user.pk, 0)  # type: ignore[attr-defined]
    return users


@tenant_admin_required
@require_GET
def user_list(request):
    tenant = request.tenant
    form = UserFilterForm(request.GET, tenant=tenant)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = filters.get("sort") or "name"
    active_filters = sum(1 for name, value in filters.items() if value and name != "sort")
    users, over_bound = _filtered_users(tenant, filters)
    users = (
        users.select_related("custom_role", "group_role", "group_role_group")
        .prefetch_related(Prefetch("emails", queryset=UserEmail.objects.order_by("id")))
        .sorted_for_list(sort)
    )
    # Unfiltered, the tenant's counters give the exact total without counting rows.
    total = None if active_filters else User.objects.count_for(tenant)
    paginator = BoundedPaginator(users, PAGE_SIZE, count=total, over_bound=over_bound)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _with_group_counts(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "users/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(active_filters),
            "active_filters": active_filters,
            "columns": _sort_columns(request, sort),
        },
    )


# The sortable columns: (column, sort key, the sort a first click asks for).
SORTABLE_COLUMNS = (
    ("Username", "name", "name"),
    ("Role", "role", "role"),
    ("Source", "source", "source"),
    ("Last sign-in", "last_sign_in", "-last_sign_in"),
)


def _sort_columns(request, sort: str) -> dict[str, dict[str, str]]:
    """Each sortable column's header link (the other direction when it is the sort) and its
    aria-sort state."""
    columns = {}
    for label, key, first in SORTABLE_COLUMNS:
        state, target = "", first
        if sort.lstrip("-") == key:
            descending = sort.startswith("-")
            state = "descending" if descending else "ascending"
            target = key if descending else f"-{key}"
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = target
        columns[key] = {"label": label, "url": f"?{query.urlencode()}", "state": state}
    return columns


def _single_sign_on(tenant) -> tuple[bool, bool]:
    """(on, required) for the account's single sign-on. The sso app sits above users, so
    its settings are reached through the tenant's reverse relation, not imported."""
    try:
        sso = tenant.sso_settings
    except ObjectDoesNotExist:
        return False, False
    return sso.is_enabled, sso.requires_sso


def sign_in_phrase(user) -> str:
    """How the user signs in, said plainly: password, single sign-on, or not at all."""
    name = user.user_name
    if not user.is_active:
        return f"{name} is deactivated and cannot sign in."
    sso_on, sso_required = _single_sign_on(user.tenant)
    has_password = user.has_usable_password()
    if sso_on and user.role == BuiltinRole.ADMIN and not user.tenant.scim_may_grant_admin:
        # apps.sso.services refuses them: Entra may not grant the admin role here.
        if has_password:
            return (
                f"{name} can sign in with a password; single sign-on does not sign admins in "
                "while Microsoft Entra ID may not make users admins."
            )
        return (
            f"{name} has no password, and single sign-on does not sign admins in while "
            "Microsoft Entra ID may not make users admins, so they cannot sign in."
        )
    if sso_required or (sso_on and not has_password):
        return f"{name} signs in through single sign-on (Microsoft Entra ID)."
    if sso_on:
        return f"{name} can sign in with a password or through single sign-on."
    if has_password:
        return f"{name} can sign in with a password."
    return (
        f"{name} has no password and this account's single sign-on is off, so they cannot sign in."
    )


def _render_detail(request, user, *, role_form=None, role_errors=(), status=200):
    tenant = request.tenant
    user = (
        User.objects.for_tenant(tenant)
        .select_related("custom_role", "manager")
        .prefetch_related("emails", "phone_numbers")
        .get(pk=user.pk)
    )
    groups = tenant.groups.filter(memberships__user=user).order_by(Lower("display_name"))
    # Groups are above users: reached through the tenant's reverse relation, not imported.
    group_query = request.GET.get("groups_q", "").strip()[:255]
    joinable = tenant.groups.exclude(memberships__user=user).order_by(Lower("display_name"), "id")
    if group_query:
        joinable = joinable.filter(display_name__icontains=group_query)
    joinable = list(joinable[: JOINABLE_GROUPS_SHOWN + 1])
    history = AuditEvent.objects.for_tenant(tenant).for_target(user)[:HISTORY_SIZE]
    return render(
        request,
        "users/detail.html",
        {
            "subject": user,
            "role_form": role_form or UserRoleForm(tenant=tenant, user=user),
            "role_errors": role_errors,
            "sign_in": sign_in_phrase(user),
            "groups": groups,
            "joinable_groups": joinable[:JOINABLE_GROUPS_SHOWN],
            "more_joinable_groups": len(joinable) > JOINABLE_GROUPS_SHOWN,
            "group_query": group_query,
            "history": history,
            # History sentences name the user as they are called now.
            "history_names": {str(user.public_id): user.display_name or user.user_name},
        },
        status=status,
    )


@tenant_admin_required
@require_GET
def user_detail(request, user_id):
    user = services.get_user_for(request.tenant, user_id)
    return _render_detail(request, user)


def _role_message(user, before_custom_role, chosen_role: str, changed: dict) -> str:
    now = f"{user.user_name} is now an {user.get_role_display().lower()}"
    if user.custom_role_id:
        now += f" with the custom role {user.custom_role.name}"
    notes = []
    if before_custom_role and not user.custom_role_id and "custom_role" not in changed:
        notes.append(
            f"Their custom role {before_custom_role.name} was taken away: "
            "only agents can hold a custom role."
        )
    if chosen_role == BuiltinRole.END_USER and user.role != BuiltinRole.END_USER:
        notes.append("A custom role makes its holder an agent.")
    return " ".join([f"{now}.", *notes])


@tenant_admin_required
@require_POST
def update_role(request, user_id):
    tenant = request.tenant
    user = services.get_user_for(tenant, user_id)
    before_custom_role = user.custom_role
    form = UserRoleForm(request.POST, tenant=tenant, user=user)
    if form.is_valid():
        changed = form.changed_attributes()
        try:
            services.update_user(tenant=tenant, actor=request.user, user=user, attributes=changed)
        except ValidationError as error:
            # The dropdowns show the user's role as it is, not the refused choice.
            return _render_detail(request, user, role_errors=error.messages, status=400)
        else:
            if changed:
                messages.success(
                    request,
                    _role_message(user, before_custom_role, form.cleaned_data["role"], changed),
                )
            return redirect("users:detail", user_id=user.public_id)
    # The page is drawn from the database: a refused change shows the user as they are.
    return _render_detail(request, user, role_form=form, status=400)


def _set_active(request, user_id, *, is_active: bool):
    tenant = request.tenant
    user = services.get_user_for(tenant, user_id)
    try:
        services.update_user(
            tenant=tenant, actor=request.user, user=user, attributes={"is_active": is_active}
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if is_active:
            messages.success(request, f"{user.user_name} is active again. {sign_in_phrase(user)}")
        else:
            messages.success(
                request,
                f"{user.user_name} is deactivated: they cannot sign in and keep their groups.",
            )
    return redirect("users:detail", user_id=user.public_id)


@tenant_admin_required
@require_POST
def activate(request, user_id):
    return _set_active(request, user_id, is_active=True)


@tenant_admin_required
@require_POST
def deactivate(request, user_id):
    return _set_active(request, user_id, is_active=False)


@tenant_admin_required
@require_POST
def unlock_sign_in(request, user_id):
    """Lift a sign-in lockout of one of the account's admins (too many failed attempts)."""
    user = services.get_user_for(request.tenant, user_id)
    cleared = services.unlock_sign_in(actor=request.user, user=user)
    if cleared:
        messages.success(request, f"{user.user_name} can sign in again now.")
    else:
        messages.info(request, f"{user.user_name} had no failed sign-ins to clear.")
    return redirect("users:detail", user_id=user.public_id)


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def delete(request, user_id):
    tenant = request.tenant
    user = services.get_user_for(tenant, user_id)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_user(tenant=tenant, actor=request.user, user=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{user.user_name} was deleted.")
            return redirect("users:list")
    group_count = user.memberships.count()
    report_count = User.objects.filter(manager=user).count()
    return render(
        request,
        "users/delete.html",
        {
            "subject": user,
            "form": form,
            "group_count": group_count,
            "report_count": report_count,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def end_other_sessions(request):
    """Sign the person out everywhere else: other browsers, devices, a forgotten session."""
    user = request.user
    services.end_other_sessions(tenant=user.tenant, actor=user, user=user)
    # The new session hash goes into this session (and its key changes): it stays signed in.
    update_session_auth_hash(request, user)
    messages.success(
        request, "You are signed out of every other session. This one stays signed in."
    )
    next_url = request.POST.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    return redirect(next_url)
