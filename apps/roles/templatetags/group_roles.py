"""Permission profiles on pages other apps own (a group's page, a user's page).

Those pages' views stay as they are: these tags read what they show."""

from django import template

from apps.roles.forms import GroupRoleLinkForm
from apps.roles.models import GroupRoleLink

register = template.Library()


@register.inclusion_tag("groups/_role_link.html", takes_context=True)
def group_role_link(context, group):
    """The group's custom role, if linked, with the forms that link, change or unlink it."""
    link = GroupRoleLink.objects.filter(group=group).select_related("role").first()
    tenant = group.tenant
    ahead = (
        GroupRoleLink.objects.for_tenant(tenant).filter(position__lt=link.position).count()
        if link is not None
        else 0
    )
    form = GroupRoleLinkForm(
        tenant=tenant,
        initial={"group": group.public_id, "role": link.role.public_id if link else None},
    )
    request = context.get("request")
    return {
        "group": group,
        "link": link,
        "place": ahead + 1,
        "link_count": GroupRoleLink.objects.for_tenant(tenant).count(),
        "form": form,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }
