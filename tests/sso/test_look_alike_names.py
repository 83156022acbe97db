"""Single sign-on reads the NameID and the email claim in the form names are stored in."""

from django.contrib.auth import SESSION_KEY

from apps.audit.models import AuditEvent
from apps.sso import services
from apps.sso.models import MatchBy
from tests.factories import UserEmailFactory

EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


def refusal(tenant):
    return AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")


def test_a_name_id_in_full_width_letters_signs_in_the_user_of_that_name(
    browser, agent, response_for, post_to_acs
):
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in agent.user_name)

    post_to_acs(response_for(full_width))

    assert browser.session.get(SESSION_KEY) == str(agent.pk)


def test_a_name_id_with_a_zero_width_space_is_refused_with_the_reason(
    browser, tenant, agent, response_for, post_to_acs
):
    response = post_to_acs(response_for(agent.user_name.replace("@", "\u200b@")))

    assert response.status_code == 403
    assert browser.session.get(SESSION_KEY) is None
    assert refusal(tenant).changes["check"] == "user"
    assert "The NameID contains an invisible" in refusal(tenant).changes["reason"]


def test_a_decomposed_accent_in_the_email_claim_matches_the_composed_email(
    browser, tenant, sso_on, agent, test_idp, response_for, post_to_acs
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.EMAIL,
    )
    UserEmailFactory(user=agent, value="ren\u00e9@contoso.com")
    claims = test_idp.claims_for("someone@contoso.com", email="rene\u0301@contoso.com")

    post_to_acs(response_for("someone@contoso.com", claims=claims))

    assert browser.session.get(SESSION_KEY) == str(agent.pk)
