"""The "Create agents on first sign-in" card of the SSO page, with its own form and view."""

from django import template

from apps.sso.forms import AgentCreationForm

register = template.Library()


@register.inclusion_tag("sso/_agent_creation.html", takes_context=True)
def agent_creation(context, sso):
    role = sso.new_agent_role
    form = AgentCreationForm(
        tenant=sso.tenant,
        initial={
            "creates_agents": sso.creates_agents,
            "new_agent_role": role.public_id if role is not None else None,
        },
    )
    return {"sso": sso, "form": form, "csrf_token": context.get("csrf_token")}
