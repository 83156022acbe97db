"""The ACS against a real (test) IdP: signed responses built at test time and posted back."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from apps.audit.models import AuditEvent, Channel
from apps.groups.models import Group, GroupMembership
from apps.sso import services
from apps.sso.models import MatchBy
from tests.factories import AdminFactory, AgentFactory, TenantFactory, UserEmailFactory
from tests.sso.idp import OBJECT_ID, encode, make_signing_key, read_authn_request

NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "ds": "http://www.w3.org/2000/09/xmldsig#"}


def refusal(tenant):
    return AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


# Success -----------------------------------------------------------------------------------


def test_valid_sp_initiated_response_for_an_active_agent_signs_in(
    browser, tenant, agent, response_for, post_to_acs
):
    response = post_to_acs(response_for(agent.user_name))

    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    assert signed_in_user_id(browser) == str(agent.pk)


def test_sign_in_started_with_a_signed_request_signs_in(
    tenant, sso_on, agent, test_idp, sp, browser
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
        sign_requests=True,
    )
    request = read_authn_request(browser.get(sp.sign_on_url)["Location"])
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=request["id"],
    )

    response = browser.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )

    assert response.status_code == 302
    assert signed_in_user_id(browser) == str(agent.pk)


def test_sign_in_is_in_the_audit_trail_with_channel_sso(tenant, agent, response_for, post_to_acs):
    post_to_acs(response_for(agent.user_name))

    event = AuditEvent.objects.for_tenant(tenant).get(action="sso.signed_in")
    assert event.channel == Channel.SSO
    assert event.actor_label == agent.user_name
    assert event.target_id == str(agent.public_id)
    assert event.changes == {"subject": agent.user_name, "flow": "sp-initiated"}


def test_name_id_matches_user_name_ignoring_case(browser, agent, response_for, post_to_acs):
    post_to_acs(response_for(agent.user_name.upper()))

    assert signed_in_user_id(browser) == str(agent.pk)


def test_end_user_lands_on_the_profile_page(end_user, response_for, post_to_acs):
    response = post_to_acs(response_for(end_user.user_name))

    assert response["Location"] == "/me/"


def test_admin_lands_on_the_workspace_with_a_link_to_settings(
    browser, tenant_admin, scim_may_grant_admin, response_for, post_to_acs
):
    response = post_to_acs(response_for(tenant_admin.user_name))
    page = browser.get(response["Location"])

    assert page.status_code == 200
    assert b'href="/settings/"' in page.content


def test_response_signed_on_the_response_only_signs_in(browser, agent, response_for, post_to_acs):
    post_to_acs(response_for(agent.user_name, sign="response"))

    assert signed_in_user_id(browser) == str(agent.pk)


def test_either_certificate_of_a_rollover_signs_in(tenant, rollover_idp, sp, new_browser):
    services.configure_from_metadata(
        tenant=tenant, actor=None, metadata=rollover_idp.metadata_xml()
    )
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )
    agent = AgentFactory(tenant=tenant)
    signed_in = []
    for key in rollover_idp.keys:
        client = new_browser()
        start = client.get(sp.sign_on_url)
        request = read_authn_request(start["Location"])
        xml = rollover_idp.response_xml(
            acs_url=sp.acs_url,
            audience=sp.entity_id,
            name_id=agent.user_name,
            in_response_to=request["id"],
            key=key,
        )
        client.post(sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]})
        signed_in.append(signed_in_user_id(client))

    assert signed_in == [str(agent.pk), str(agent.pk)]


def test_email_claim_matches_the_users_email(
    tenant, sso_on, agent, browser, response_for, post_to_acs
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.EMAIL,
    )
    UserEmailFactory(user=agent, value="Agent.Mail@Contoso.com")

    post_to_acs(
        response_for(
            "someone-else@contoso.com",
            claims={
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": [
                    "agent.mail@contoso.com"
                ]
            },
        )
    )

    assert signed_in_user_id(browser) == str(agent.pk)


def test_objectidentifier_claim_matches_external_id_after_a_upn_rename(
    tenant, sso_on, browser, response_for, post_to_acs
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.OBJECT_ID,
    )
    agent = AgentFactory(
        tenant=tenant,
        user_name="old.name@contoso.com",
        external_id="5f7c1c2e-0f5e-4b8e-9a57-7d4d3a1d0e11",
    )

    post_to_acs(response_for("new.name@contoso.com", claims={OBJECT_ID: [agent.external_id]}))

    assert signed_in_user_id(browser) == str(agent.pk)


def test_idp_initiated_response_signs_in_when_allowed(
    tenant, idp_initiated_on, agent, test_idp, sp, browser
):
    xml = test_idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=agent.user_name)

    response = browser.post(sp.acs_url, {"SAMLResponse": encode(xml)})

    assert response.status_code == 302
    assert signed_in_user_id(browser) == str(agent.pk)


def test_plain_host_with_the_account_in_the_path_signs_in(tenant, sso_on, agent, test_idp, client):
    sp = services.service_provider(tenant, "http://testserver")
    request = read_authn_request(client.get(sp.sign_on_url)["Location"])
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=request["id"],
    )

    response = client.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )

    assert sp.acs_url == "http://testserver/sso/my-tenant/saml/acs/"
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(agent.pk)


def test_next_url_given_at_the_start_is_where_the_sign_in_lands(
    tenant, sso_on, agent, test_idp, sp, browser
):
    request = read_authn_request(browser.get(sp.sign_on_url + "?next=/me/")["Location"])
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=request["id"],
    )

    response = browser.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )

    assert response["Location"] == "/me/"


# Refusals ----------------------------------------------------------------------------------


def test_deactivated_user_is_refused(browser, tenant, agent, response_for, post_to_acs):
    agent.is_active = False
    agent.save()

    response = post_to_acs(response_for(agent.user_name))

    assert response.status_code == 403
    assert b"is deactivated" in response.content
    assert signed_in_user_id(browser) is None
    assert refusal(tenant).changes["check"] == "user"
    assert refusal(tenant).target_id == str(agent.public_id)


def test_unknown_user_is_refused_and_nobody_is_created(browser, tenant, response_for, post_to_acs):
    response = post_to_acs(response_for("stranger@contoso.com"))

    assert response.status_code == 403
    assert refusal(tenant).changes == {
        "subject": "stranger@contoso.com",
        "check": "user",
        "reason": 'No user of this account has the NameID "stranger@contoso.com" (userName).',
    }
    assert not tenant.users.filter(user_name="stranger@contoso.com").exists()


def test_refusal_names_the_identity_provider_as_actor(tenant, response_for, post_to_acs):
    post_to_acs(response_for("stranger@contoso.com"))

    event = refusal(tenant)
    assert event.actor_type == "idp"
    assert event.actor_label == "identity provider sts.windows.net"


def test_wrong_audience_is_refused(browser, tenant, agent, response_for, post_to_acs):
    response = post_to_acs(response_for(agent.user_name, audience="https://another-app.example/"))

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "audience"
    assert signed_in_user_id(browser) is None


def test_expired_assertion_is_refused(browser, tenant, agent, response_for, post_to_acs):
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    xml = response_for(
        agent.user_name,
        not_before=an_hour_ago - timedelta(minutes=70),
        not_on_or_after=an_hour_ago,
    )

    response = post_to_acs(xml)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "time"


def test_assertion_expired_beyond_the_clock_skew_setting_is_refused(
    settings, browser, tenant, agent, response_for, post_to_acs
):
    settings.SSO_CLOCK_SKEW_SECONDS = 60
    xml = response_for(agent.user_name, not_on_or_after=datetime.now(UTC) - timedelta(seconds=150))

    response = post_to_acs(xml)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "time"


def test_assertion_expired_within_the_clock_skew_is_accepted(
    settings, browser, agent, response_for, post_to_acs
):
    settings.SSO_CLOCK_SKEW_SECONDS = 120
    xml = response_for(agent.user_name, not_on_or_after=datetime.now(UTC) - timedelta(seconds=30))

    post_to_acs(xml)

    assert signed_in_user_id(browser) == str(agent.pk)


def test_replayed_assertion_is_refused(
    tenant, idp_initiated_on, agent, test_idp, sp, browser, new_browser
):
    xml = test_idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=agent.user_name)
    browser.post(sp.acs_url, {"SAMLResponse": encode(xml)})
    attacker = new_browser()

    response = attacker.post(sp.acs_url, {"SAMLResponse": encode(xml)})

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "replay"
    assert signed_in_user_id(attacker) is None


def test_replayed_sp_initiated_response_is_refused(
    browser, tenant, agent, response_for, post_to_acs
):
    xml = response_for(agent.user_name)
    post_to_acs(xml)
    browser.logout()

    response = post_to_acs(xml)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "in-response-to"


def test_unsigned_response_is_refused(browser, tenant, agent, response_for, post_to_acs):
    response = post_to_acs(response_for(agent.user_name, sign="none"))

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"
    assert signed_in_user_id(browser) is None


def test_attribute_tampered_after_signing_is_refused(
    browser, tenant, agent, tenant_admin, response_for, post_to_acs
):
    xml = response_for(agent.user_name)
    tampered = xml.replace(f">{agent.user_name}</NameID>", f">{tenant_admin.user_name}</NameID>")
    assert tampered != xml

    response = post_to_acs(tampered)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"
    assert signed_in_user_id(browser) is None


def test_claim_tampered_after_signing_is_refused(
    tenant, sso_on, agent, browser, response_for, post_to_acs
):
    xml = response_for(agent.user_name)
    tampered = xml.replace(
        f"<AttributeValue>{agent.user_name}</AttributeValue>",
        "<AttributeValue>x@evil.example</AttributeValue>",
        1,
    )
    assert tampered != xml

    response = post_to_acs(tampered)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"


def test_signature_by_an_unknown_certificate_is_refused(
    browser, tenant, agent, response_for, post_to_acs
):
    response = post_to_acs(response_for(agent.user_name, key=make_signing_key("attacker")))

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"
    assert signed_in_user_id(browser) is None


def test_sha1_signature_is_refused(browser, tenant, agent, response_for, post_to_acs):
    xml = response_for(agent.user_name, sign_algorithm=C.RSA_SHA1, digest_algorithm=C.SHA1)

    response = post_to_acs(xml)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"


def wrap_signature(xml: str, victim: str) -> str:
    """XML signature wrapping: an unsigned forged assertion for the victim takes the signed
    assertion's place, and the genuine signed assertion is tucked into samlp:Extensions."""
    root = etree.fromstring(xml.encode())  # noqa: S320
    genuine = root.find("saml:Assertion", NS)
    forged = copy.deepcopy(genuine)
    forged.remove(forged.find("ds:Signature", NS))
    forged.find("saml:Subject/saml:NameID", NS).text = victim
    forged.set("ID", "_forged")
    root.remove(genuine)
    extensions = etree.SubElement(root, "{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
    extensions.append(genuine)
    root.insert(1, extensions)  # after Issuer, where the schema puts Extensions
    root.append(forged)
    return etree.tostring(root).decode()


def test_wrapped_signature_is_refused(
    browser, tenant, agent, tenant_admin, response_for, post_to_acs
):
    wrapped = wrap_signature(response_for(agent.user_name), victim=tenant_admin.user_name)

    response = post_to_acs(wrapped)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"
    assert signed_in_user_id(browser) is None


def test_forged_assertion_carrying_the_genuine_signature_is_refused(
    browser, tenant, agent, tenant_admin, response_for, post_to_acs
):
    # The forged assertion keeps the genuine assertion's ID and Signature; the genuine
    # assertion (unsigned now) is hidden inside the signature's ds:Object.
    root = etree.fromstring(response_for(agent.user_name).encode())  # noqa: S320
    genuine = root.find("saml:Assertion", NS)
    forged = copy.deepcopy(genuine)
    forged.find("saml:Subject/saml:NameID", NS).text = tenant_admin.user_name
    hidden = copy.deepcopy(genuine)
    hidden.remove(hidden.find("ds:Signature", NS))
    obj = etree.SubElement(forged.find("ds:Signature", NS), f"{{{NS['ds']}}}Object")
    obj.append(hidden)
    root.replace(genuine, forged)

    response = post_to_acs(etree.tostring(root).decode())

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "signature"
    assert signed_in_user_id(browser) is None


def test_comment_injected_into_the_name_id_is_refused(
    browser, tenant, tenant_admin, response_for, post_to_acs
):
    # The attacker owns "<victim>.evil.example" at the IdP; comments are outside the
    # signature (exclusive c14n), so one inserted after signing keeps it valid.
    attacker_name = tenant_admin.user_name + ".evil.example"
    signed = response_for(attacker_name)
    injected = signed.replace(
        f">{attacker_name}</NameID>", f">{tenant_admin.user_name}<!---->.evil.example</NameID>"
    )
    assert injected != signed

    response = post_to_acs(injected)

    assert response.status_code == 403
    assert signed_in_user_id(browser) is None
    assert refusal(tenant).changes["check"] == "user"
    assert attacker_name in refusal(tenant).changes["reason"]


@pytest.fixture
def other_account(test_idp, agent):
    """Another account trusting the same IdP (IdP-initiated on), with a user of the same name;
    gives the account and its service provider."""
    other = TenantFactory(subdomain="other-tenant")
    services.configure_from_metadata(tenant=other, actor=None, metadata=test_idp.metadata_xml())
    services.set_sso_options(
        tenant=other,
        actor=None,
        enabled=True,
        idp_initiated=True,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )
    AgentFactory(tenant=other, user_name=agent.user_name)
    return other, services.service_provider(other, "http://other-tenant.commbox.test")


def test_response_meant_for_another_account_is_refused(
    tenant, sso_on, agent, test_idp, sp, authn_request, browser, other_account
):
    other, other_sp = other_account
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=authn_request["id"],
    )
    other_browser = type(browser)(HTTP_HOST="other-tenant.commbox.test")

    response = other_browser.post(
        other_sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": authn_request["relay_state"]}
    )

    assert response.status_code == 403
    assert refusal(other).changes["check"] == "in-response-to"
    assert signed_in_user_id(other_browser) is None


def test_idp_initiated_response_for_another_account_is_refused(
    tenant, idp_initiated_on, agent, test_idp, sp, other_account
):
    other, other_sp = other_account
    xml = test_idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=agent.user_name)
    other_browser = Client(HTTP_HOST="other-tenant.commbox.test")

    response = other_browser.post(other_sp.acs_url, {"SAMLResponse": encode(xml)})

    assert response.status_code == 403
    assert refusal(other).changes["check"] == "destination"


def test_unsolicited_response_is_refused_while_idp_initiated_is_off(
    tenant, sso_on, agent, test_idp, sp, browser
):
    xml = test_idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=agent.user_name)

    response = browser.post(sp.acs_url, {"SAMLResponse": encode(xml)})

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "unsolicited"
    assert signed_in_user_id(browser) is None


def test_response_to_a_request_this_server_never_sent_is_refused(
    tenant, sso_on, agent, test_idp, sp, browser
):
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to="_made_up",
    )

    response = browser.post(sp.acs_url, {"SAMLResponse": encode(xml)})

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "in-response-to"


def test_changed_relay_state_is_refused(tenant, agent, response_for, post_to_acs):
    response = post_to_acs(response_for(agent.user_name), relay_state="something-else")

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "relay-state"


def test_wrong_issuer_is_refused(tenant, agent, test_idp, response_for, post_to_acs):
    response = post_to_acs(response_for(agent.user_name, issuer="https://sts.windows.net/other/"))

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "issuer"


def test_wrong_recipient_is_refused(tenant, agent, response_for, post_to_acs):
    xml = response_for(agent.user_name, recipient="https://evil.example/acs")

    response = post_to_acs(xml)

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "recipient"


def test_response_while_sso_is_off_is_refused(tenant, sso_on, agent, response_for, post_to_acs):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=False,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )

    response = post_to_acs(response_for(agent.user_name))

    assert response.status_code == 403
    assert refusal(tenant).changes["check"] == "configuration"


def test_garbage_saml_response_is_a_403_not_a_500(tenant, sso_on, sp, browser):
    response = browser.post(sp.acs_url, {"SAMLResponse": "not base64 at all!"})

    assert response.status_code == 403


def test_refusal_audit_row_never_holds_the_raw_assertion(tenant, agent, response_for, post_to_acs):
    post_to_acs(response_for(agent.user_name, audience="https://another-app.example/"))

    event = refusal(tenant)
    assert "Assertion" not in str(event.changes)
    assert "Signature" not in str(event.changes)


def test_acs_of_an_unknown_account_is_404(db, client):
    response = client.post("/sso/no-such-account/saml/acs/", {"SAMLResponse": "x"})

    assert response.status_code == 404


# Sessions ----------------------------------------------------------------------------------


def test_user_deactivated_over_scim_loses_the_session_at_the_next_request(
    browser, agent, response_for, post_to_acs, scim_client
):
    post_to_acs(response_for(agent.user_name))
    assert browser.get("/workspace/").status_code == 200

    scim_client.patch(
        f"/scim/v2/Users/{agent.public_id}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
        format="json",
    )
    response = browser.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert signed_in_user_id(browser) is None


def test_user_deleted_over_scim_loses_the_session_at_the_next_request(
    browser, agent, response_for, post_to_acs, scim_client
):
    post_to_acs(response_for(agent.user_name))

    scim_client.delete(f"/scim/v2/Users/{agent.public_id}")
    response = browser.get("/me/")

    assert response.status_code == 302
    assert signed_in_user_id(browser) is None


def test_deactivated_users_session_stays_ended_after_reactivation(
    browser, agent, response_for, post_to_acs
):
    post_to_acs(response_for(agent.user_name))
    agent.is_active = False
    agent.save()
    browser.get("/me/")
    agent.is_active = True
    agent.save()

    response = browser.get("/me/")

    assert response.status_code == 302


def test_sso_session_left_unused_while_deactivated_over_scim_is_refused_after_reactivation(
    browser, agent, response_for, post_to_acs, scim_set_active
):
    post_to_acs(response_for(agent.user_name))
    scim_set_active(agent, False)
    scim_set_active(agent, True)

    response = browser.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert signed_in_user_id(browser) is None


def test_user_reactivated_over_scim_signs_in_again_with_sso(
    browser, agent, response_for, post_to_acs, scim_set_active
):
    scim_set_active(agent, False)
    scim_set_active(agent, True)

    post_to_acs(response_for(agent.user_name))

    assert browser.get("/workspace/").status_code == 200


def test_me_names_the_signed_in_user_name(browser, agent, response_for, post_to_acs):
    post_to_acs(response_for(agent.user_name))

    response = browser.get("/me/")

    assert response.status_code == 200
    assert agent.user_name in response.content.decode()


def test_me_without_a_session_redirects_to_sign_in(client):
    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"


def test_end_user_cannot_open_the_workspace(client, end_user):
    client.force_login(end_user)

    response = client.get("/workspace/")

    assert response.status_code == 403


@pytest.mark.parametrize("user_factory", [AdminFactory, AgentFactory])
def test_workspace_lists_the_users_groups(client, tenant, user_factory):
    user = user_factory(tenant=tenant)
    group = Group.objects.create(tenant=tenant, display_name="Tier 2 support")
    GroupMembership.objects.create(tenant=tenant, group=group, user=user)
    client.force_login(user)

    response = client.get("/workspace/")

    assert "Tier 2 support" in response.content.decode()


# Test sign-in ------------------------------------------------------------------------------


def test_test_sign_in_reports_what_was_received_without_signing_anyone_in(
    tenant, sso_on, tenant_admin, agent, test_idp, client
):
    client.force_login(tenant_admin)
    start = client.post("/settings/sso/test/")
    request = read_authn_request(start["Location"])
    sp = services.service_provider(tenant, "http://testserver")
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=request["id"],
    )

    response = client.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )
    report = client.get(response["Location"])

    assert report.status_code == 200
    assert report.context["report"]["ok"] is True
    assert report.context["report"]["matched_user"] == agent.user_name
    assert signed_in_user_id(client) == str(tenant_admin.pk)
    assert not AuditEvent.objects.filter(action="sso.signed_in").exists()
    assert AuditEvent.objects.get(action="sso.tested").changes["result"] == "passed"


def test_test_sign_in_names_the_check_that_failed(
    tenant, sso_on, tenant_admin, agent, test_idp, client
):
    client.force_login(tenant_admin)
    request = read_authn_request(client.post("/settings/sso/test/")["Location"])
    sp = services.service_provider(tenant, "http://testserver")
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience="https://wrong.example/",
        name_id=agent.user_name,
        in_response_to=request["id"],
    )

    response = client.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )
    report = client.get(response["Location"]).context["report"]

    assert report["ok"] is False
    assert report["check"] == "audience"
    assert report["received"]["name_id"] == agent.user_name
    assert list(report["received"]["audiences"]) == ["https://wrong.example/"]


def test_test_sign_in_works_while_sso_is_off(tenant, tenant_admin, test_idp, client):
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=test_idp.metadata_xml())
    client.force_login(tenant_admin)

    response = client.post("/settings/sso/test/")

    assert response.status_code == 302
    assert response["Location"].startswith(test_idp.sso_url)


def test_test_report_is_only_for_the_admin_who_started_it(
    tenant, sso_on, tenant_admin, agent, test_idp, client
):
    client.force_login(tenant_admin)
    request = read_authn_request(client.post("/settings/sso/test/")["Location"])
    sp = services.service_provider(tenant, "http://testserver")
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=request["id"],
    )
    location = client.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )["Location"]
    client.force_login(AdminFactory(tenant=tenant))

    response = client.get(location)

    assert response.status_code == 404
