"""SAML single logout against the test IdP: our LogoutRequest and its answer, the IdP's
LogoutRequests in both bindings (signed and unsigned), and every refusal on the SSO page."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.sso import services
from apps.sso.models import MatchBy, SsoSession, SsoSettings
from tests.factories import AgentFactory, TenantFactory
from tests.sso.conftest import HOST
from tests.sso.idp import (
    TestIdp,
    make_signing_key,
    read_authn_request,
    read_logout_message,
    redirect_signature_is_valid,
)

PERSON = "agent@contoso.com"
SSO_PAGE = "/settings/sso/"


@pytest.fixture
def person(tenant):
    return AgentFactory(tenant=tenant, user_name=PERSON)


@pytest.fixture
def sign_in(sso_on, test_idp, sp, person):
    """Signs a browser in through the test IdP as PERSON; returns the SessionIndex."""

    def run(client):
        request = read_authn_request(client.get(sp.sign_on_url)["Location"])
        session_index = f"_{request['id']}-session"
        xml = test_idp.response_xml(
            acs_url=sp.acs_url,
            audience=sp.entity_id,
            name_id=PERSON,
            in_response_to=request["id"],
            assertion_id=session_index,
        )
        from tests.sso.idp import encode

        response = client.post(
            sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
        )
        assert response.status_code == 302
        return session_index

    return run


@pytest.fixture
def signed_in_browser(browser, sign_in):
    """The browser, signed in with SSO; .session_index is its SessionIndex."""
    browser.session_index = sign_in(browser)
    return browser


@pytest.fixture
def logout_request(test_idp, sp):
    """A LogoutRequest from the IdP to our logout service, for PERSON (overrides allowed)."""

    def build(**overrides):
        return test_idp.logout_request_xml(
            **{"destination": sp.slo_url, "name_id": PERSON, **overrides}
        )

    return build


@pytest.fixture
def admin_sees(tenant_admin):
    """The SSO page as the account's admin sees it."""

    def page():
        admin = Client(HTTP_HOST=HOST)
        admin.force_login(tenant_admin)
        return admin.get(SSO_PAGE).content.decode()

    return page


def is_signed_in(client) -> bool:
    return SESSION_KEY in client.session


def logout_refusal(tenant):
    return AuditEvent.objects.for_tenant(tenant).filter(action="sso.logout_refused").get()


# Signing in keeps what logout needs ------------------------------------------------------


def test_sso_sign_in_keeps_the_name_id_and_session_index_on_the_session(signed_in_browser):
    kept = signed_in_browser.session["sso_session"]

    assert kept["name_id"] == PERSON
    assert kept["name_id_format"] == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert kept["session_index"] == signed_in_browser.session_index


def test_sso_sign_in_notes_the_session_for_the_idps_logout_requests(tenant, signed_in_browser):
    noted = SsoSession.objects.for_tenant(tenant).get()

    assert noted.session_key == signed_in_browser.session.session_key
    assert (noted.name_id, noted.session_index) == (PERSON, signed_in_browser.session_index)


def test_sp_metadata_lists_the_logout_service_in_both_bindings_with_the_certificate(
    tenant, sso_on, browser, sp
):
    metadata = browser.get(sp.metadata_url).content.decode()

    certificate = SsoSettings.objects.get(tenant=tenant).sp_certificate
    body = "".join(certificate.strip().splitlines()[1:-1])
    assert 'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"' in metadata
    assert 'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"' in metadata
    assert metadata.count(f'Location="{sp.slo_url}"') == 2
    assert body in "".join(metadata.split())


def test_idp_logout_url_is_read_from_its_metadata(tenant, sso_on, test_idp):
    assert SsoSettings.objects.get(tenant=tenant).idp_slo_url == test_idp.sso_url


# Signing out of the portal (SP-initiated) ------------------------------------------------


def test_signing_out_sends_a_signed_logout_request_for_the_sso_session(
    tenant, signed_in_browser, sp, test_idp
):
    response = signed_in_browser.post(reverse("sso:logout"))

    url = response.context["idp_url"]
    sent = read_logout_message(url)
    certificate = SsoSettings.objects.get(tenant=tenant).sp_certificate
    assert url.startswith(test_idp.sso_url + "?SAMLRequest=")
    assert redirect_signature_is_valid(url, certificate)
    assert (sent["kind"], sent["issuer"], sent["destination"]) == (
        "LogoutRequest",
        sp.entity_id,
        test_idp.sso_url,
    )
    assert (sent["name_id"], sent["session_index"]) == (PERSON, signed_in_browser.session_index)


def test_signing_out_page_refreshes_to_the_idp_with_a_link_as_well(signed_in_browser):
    response = signed_in_browser.post(reverse("sso:logout"))

    page = response.content.decode()
    escaped = response.context["idp_url"].replace("&", "&amp;")
    assert f'<meta http-equiv="refresh" content="0;url={escaped}">' in page
    assert f'href="{escaped}"' in page


def test_signing_out_ends_the_local_session_before_going_to_the_idp(signed_in_browser):
    session_key = signed_in_browser.session.session_key

    signed_in_browser.post(reverse("sso:logout"))

    assert not is_signed_in(signed_in_browser)
    assert not Session.objects.filter(session_key=session_key).exists()


def test_idps_logout_response_lands_on_the_signed_out_page(
    tenant, signed_in_browser, test_idp, sp, admin_sees
):
    sent = read_logout_message(signed_in_browser.post(reverse("sso:logout")).context["idp_url"])
    answer = test_idp.logout_response_xml(destination=sp.slo_url, in_response_to=sent["id"])

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(answer, saml_type='SAMLResponse')}", follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal:login")
    assert "You are signed out." in response.content.decode()
    assert "single logout, sp-initiated" in admin_sees()


def test_logout_response_to_a_request_this_server_did_not_send_is_refused(
    tenant, signed_in_browser, test_idp, sp, admin_sees
):
    signed_in_browser.post(reverse("sso:logout"))
    answer = test_idp.logout_response_xml(destination=sp.slo_url, in_response_to="_not-ours")

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(answer, saml_type='SAMLResponse')}"
    )

    assert response.status_code == 403
    assert logout_refusal(tenant).changes["check"] == "in-response-to"
    assert "logout refused: in-response-to" in admin_sees()


def test_logout_response_with_a_failure_status_is_refused_and_listed(
    tenant, signed_in_browser, test_idp, sp, admin_sees
):
    sent = read_logout_message(signed_in_browser.post(reverse("sso:logout")).context["idp_url"])
    answer = test_idp.logout_response_xml(
        destination=sp.slo_url,
        in_response_to=sent["id"],
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
    )

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(answer, saml_type='SAMLResponse')}"
    )

    assert response.status_code == 403
    assert "could not sign you out everywhere (status Responder)" in response.content.decode()
    assert "logout refused: status" in admin_sees()


def test_without_an_idp_logout_service_signing_out_stays_local(tenant, person, browser):
    idp = TestIdp(has_logout_service=False)
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=idp.metadata_xml())
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=True,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )
    sp = services.service_provider(tenant, f"http://{HOST}")
    xml = idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=PERSON)
    from tests.sso.idp import encode

    browser.post(sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": ""})

    response = browser.post(reverse("sso:logout"))

    assert response["Location"] == reverse("portal:login")
    assert not is_signed_in(browser)


def test_password_session_signs_out_locally_through_the_same_button(browser, agent):
    browser.force_login(agent)

    response = browser.post(reverse("sso:logout"))

    assert response["Location"] == reverse("portal:login")
    assert not is_signed_in(browser)


# LogoutRequests from the IdP (IdP-initiated) ---------------------------------------------


def test_signed_redirect_logout_request_ends_every_session_of_that_person(
    signed_in_browser, new_browser, sign_in, logout_request, test_idp, sp
):
    laptop, phone = signed_in_browser, new_browser()
    sign_in(phone)
    keys = [laptop.session.session_key, phone.session.session_key]

    new_browser().get(f"{sp.slo_url}?{test_idp.redirect_query(logout_request())}")

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_signed_post_logout_request_ends_every_session_of_that_person(
    signed_in_browser, new_browser, sign_in, logout_request, test_idp, sp
):
    phone = new_browser()
    sign_in(phone)

    response = new_browser().post(sp.slo_url, test_idp.post_form(logout_request()))

    assert response.status_code == 302
    assert not is_signed_in(signed_in_browser)
    assert not is_signed_in(phone)


def test_signed_logout_request_leaves_other_people_signed_in(
    tenant, signed_in_browser, logout_request, test_idp, sp, new_browser
):
    colleague = new_browser()
    colleague.force_login(AgentFactory(tenant=tenant))
    someone_else = logout_request(name_id="someone.else@contoso.com")

    new_browser().get(f"{sp.slo_url}?{test_idp.redirect_query(someone_else)}")

    assert is_signed_in(signed_in_browser)
    assert is_signed_in(colleague)


def test_logout_request_is_answered_with_a_signed_logout_response_to_the_idp(
    tenant, signed_in_browser, logout_request, test_idp, sp
):
    request_xml = logout_request(request_id="_entra-logout-1")

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(request_xml, relay_state='entra-chain')}"
    )

    answer = read_logout_message(response["Location"])
    certificate = SsoSettings.objects.get(tenant=tenant).sp_certificate
    assert response["Location"].startswith(test_idp.sso_url + "?SAMLResponse=")
    assert redirect_signature_is_valid(response["Location"], certificate)
    assert (answer["kind"], answer["in_response_to"], answer["issuer"]) == (
        "LogoutResponse",
        "_entra-logout-1",
        sp.entity_id,
    )
    assert answer["status"] == "urn:oasis:names:tc:SAML:2.0:status:Success"
    assert answer["relay_state"] == "entra-chain"


def test_logout_request_signed_with_the_idps_other_certificate_is_accepted(
    tenant, person, browser, new_browser
):
    idp = TestIdp(keys=[make_signing_key("old"), make_signing_key("new")])
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=idp.metadata_xml())
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=True,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )
    sp = services.service_provider(tenant, f"http://{HOST}")
    from tests.sso.idp import encode

    xml = idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=PERSON)
    browser.post(sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": ""})
    request_xml = idp.logout_request_xml(destination=sp.slo_url, name_id=PERSON)

    new_browser().get(f"{sp.slo_url}?{idp.redirect_query(request_xml, key=idp.keys[1])}")

    assert not is_signed_in(browser)


def test_accepted_logout_is_listed_on_the_sso_page(
    signed_in_browser, logout_request, test_idp, sp, admin_sees
):
    signed_in_browser.get(f"{sp.slo_url}?{test_idp.redirect_query(logout_request())}")

    assert "single logout, idp-initiated: 1 session ended" in admin_sees()


# Unsigned LogoutRequests -----------------------------------------------------------------


def test_unsigned_logout_request_in_the_session_it_names_ends_only_that_session(
    signed_in_browser, new_browser, sign_in, logout_request, test_idp, sp
):
    phone = new_browser()
    sign_in(phone)
    unsigned = logout_request(session_index=signed_in_browser.session_index)

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(unsigned, sign=False)}"
    )

    assert response["Location"].startswith(test_idp.sso_url + "?SAMLResponse=")
    assert not is_signed_in(signed_in_browser)
    assert is_signed_in(phone)


def test_unsigned_post_logout_request_in_the_session_it_names_ends_it(
    signed_in_browser, logout_request, test_idp, sp
):
    unsigned = logout_request(session_index=signed_in_browser.session_index)

    signed_in_browser.post(sp.slo_url, test_idp.post_form(unsigned, sign=False))

    assert not is_signed_in(signed_in_browser)


def test_unsigned_logout_request_from_another_browser_is_refused(
    tenant, signed_in_browser, new_browser, logout_request, test_idp, sp, admin_sees
):
    unsigned = logout_request(session_index=signed_in_browser.session_index)

    response = new_browser().get(f"{sp.slo_url}?{test_idp.redirect_query(unsigned, sign=False)}")

    assert response.status_code == 403
    assert is_signed_in(signed_in_browser)
    assert logout_refusal(tenant).changes["check"] == "session"
    assert "logout refused: session" in admin_sees()


def test_unsigned_logout_request_naming_another_session_index_is_refused(
    signed_in_browser, logout_request, test_idp, sp
):
    unsigned = logout_request(session_index="_another-sign-in")

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(unsigned, sign=False)}"
    )

    assert response.status_code == 403
    assert is_signed_in(signed_in_browser)


def test_unsigned_logout_request_is_refused_when_the_account_requires_signatures(
    tenant, signed_in_browser, logout_request, test_idp, sp, admin_sees
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
        require_signed_logout=True,
    )
    unsigned = logout_request(session_index=signed_in_browser.session_index)

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(unsigned, sign=False)}"
    )

    assert response.status_code == 403
    assert "accepts only signed logout requests" in response.content.decode()
    assert is_signed_in(signed_in_browser)
    assert "logout refused: signature" in admin_sees()


def test_require_signed_logout_requests_is_off_by_default_and_saved_from_the_sso_page(
    tenant, sso_on, client, tenant_admin
):
    client.force_login(tenant_admin)

    client.post(
        reverse("sso:options"),
        {"enabled": "on", "match_by": MatchBy.NAME_ID, "require_signed_logout": "on"},
        HTTP_HOST=HOST,
    )

    event = AuditEvent.objects.for_tenant(tenant).get(
        action="sso.options", changes__has_key="require_signed_logout"
    )
    assert not sso_on.requires_signed_logout
    assert SsoSettings.objects.get(tenant=tenant).requires_signed_logout
    assert event.changes["require_signed_logout"] == [False, True]


# Refusals, each listed on the SSO page ----------------------------------------------------


def test_logout_request_with_a_wrong_signature_is_refused_and_listed(
    tenant, signed_in_browser, logout_request, test_idp, sp, admin_sees
):
    forged = test_idp.redirect_query(logout_request(), key=make_signing_key("attacker"))

    response = signed_in_browser.get(f"{sp.slo_url}?{forged}")

    assert response.status_code == 403
    assert "signature does not verify" in response.content.decode()
    assert is_signed_in(signed_in_browser)
    assert "logout refused: signature" in admin_sees()


def test_post_logout_request_with_a_wrong_signature_is_refused(
    tenant, signed_in_browser, logout_request, test_idp, sp
):
    forged = test_idp.post_form(logout_request(), key=make_signing_key("attacker"))

    response = signed_in_browser.post(sp.slo_url, forged)

    assert response.status_code == 403
    assert logout_refusal(tenant).changes["check"] == "signature"


def test_replayed_logout_request_is_refused_and_listed(
    tenant, signed_in_browser, new_browser, logout_request, test_idp, sp, admin_sees
):
    url = f"{sp.slo_url}?{test_idp.redirect_query(logout_request())}"
    new_browser().get(url)

    response = new_browser().get(url)

    assert response.status_code == 403
    assert logout_refusal(tenant).changes == {
        "subject": PERSON,
        "check": "replay",
        "reason": "This logout message has already been used.",
    }
    assert "logout refused: replay" in admin_sees()


def test_logout_request_issued_long_ago_is_refused_as_expired_and_listed(
    tenant, signed_in_browser, logout_request, test_idp, sp, admin_sees
):
    old = logout_request(issue_instant=datetime.now(UTC) - timedelta(minutes=30))

    response = signed_in_browser.get(f"{sp.slo_url}?{test_idp.redirect_query(old)}")

    assert response.status_code == 403
    assert is_signed_in(signed_in_browser)
    assert "logout refused: time" in admin_sees()


def test_logout_request_past_its_not_on_or_after_is_refused(
    tenant, signed_in_browser, logout_request, test_idp, sp
):
    expired = logout_request(not_on_or_after=datetime.now(UTC) - timedelta(minutes=10))

    response = signed_in_browser.get(f"{sp.slo_url}?{test_idp.redirect_query(expired)}")

    assert response.status_code == 403
    assert logout_refusal(tenant).changes["check"] == "time"


def test_logout_request_within_the_clock_skew_is_accepted(
    signed_in_browser, logout_request, test_idp, sp
):
    ahead = logout_request(issue_instant=datetime.now(UTC) + timedelta(seconds=60))

    signed_in_browser.get(f"{sp.slo_url}?{test_idp.redirect_query(ahead)}")

    assert not is_signed_in(signed_in_browser)


def test_logout_request_from_another_accounts_idp_is_refused_and_listed(
    tenant, signed_in_browser, logout_request, sp, admin_sees
):
    other_idp = TestIdp()
    other = TenantFactory(subdomain="other")
    services.configure_from_metadata(tenant=other, actor=None, metadata=other_idp.metadata_xml())
    theirs = other_idp.logout_request_xml(destination=sp.slo_url, name_id=PERSON)

    response = signed_in_browser.get(f"{sp.slo_url}?{other_idp.redirect_query(theirs)}")

    assert response.status_code == 403
    assert is_signed_in(signed_in_browser)
    assert "logout refused: issuer" in admin_sees()


def test_logout_request_addressed_to_another_url_is_refused_and_listed(
    tenant, signed_in_browser, logout_request, test_idp, sp, admin_sees
):
    elsewhere = logout_request(destination="https://elsewhere.example/sso/saml/slo/")

    response = signed_in_browser.get(f"{sp.slo_url}?{test_idp.redirect_query(elsewhere)}")

    assert response.status_code == 403
    assert is_signed_in(signed_in_browser)
    assert "logout refused: destination" in admin_sees()


def test_undecodable_logout_message_is_refused_and_listed(
    tenant, signed_in_browser, sp, admin_sees
):
    response = signed_in_browser.get(f"{sp.slo_url}?SAMLRequest=not-base64-%25%25")

    assert response.status_code == 400
    assert "could not be decoded" in response.content.decode()
    assert "logout refused: format" in admin_sees()


def test_logout_service_without_a_message_is_refused_not_an_error(tenant, sso_on, browser, sp):
    response = browser.get(sp.slo_url)

    assert response.status_code == 400


def test_logout_message_that_is_not_a_logout_request_is_refused(
    tenant, signed_in_browser, test_idp, sp
):
    xml = test_idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=PERSON)

    response = signed_in_browser.get(
        f"{sp.slo_url}?{test_idp.redirect_query(xml)}", HTTP_HOST=urlsplit(sp.slo_url).netloc
    )

    assert response.status_code == 400
    assert logout_refusal(tenant).changes["check"] == "format"


def test_post_logout_request_changed_after_signing_is_refused(
    tenant, signed_in_browser, new_browser, logout_request, test_idp, sp
):
    colleague_request = logout_request(name_id="colleague@contoso.com")
    form = test_idp.post_form(colleague_request)
    signed_xml = base64.b64decode(form["SAMLRequest"]).decode()
    form["SAMLRequest"] = base64.b64encode(
        signed_xml.replace("colleague@contoso.com", PERSON).encode()
    ).decode()

    response = new_browser().post(sp.slo_url, form)

    assert response.status_code == 403
    assert is_signed_in(signed_in_browser)
    assert logout_refusal(tenant).changes["check"] == "signature"
