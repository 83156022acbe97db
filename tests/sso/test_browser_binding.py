"""Login CSRF: an answer to our AuthnRequest counts only in the browser that sent it."""

from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from apps.audit.models import AuditEvent
from apps.sso import services
from tests.sso.idp import encode, read_authn_request

BROWSER_COOKIE = "sso_browser"


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_attackers_own_signed_response_posted_from_an_admins_browser_is_refused(
    tenant, sso_on, sp, test_idp, tenant_admin, agent, new_browser
):
    attacker = new_browser()
    request = read_authn_request(attacker.get(sp.sign_on_url)["Location"])
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=agent.user_name,
        in_response_to=request["id"],
    )
    victim = new_browser()
    victim.force_login(tenant_admin)

    response = victim.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )

    assert response.status_code == 403
    assert response.context["check"] == "browser"
    assert signed_in_user_id(victim) == str(tenant_admin.pk)


def test_response_with_another_browsers_cookie_is_refused(
    tenant, sso_on, sp, response_for, post_to_acs, browser, agent
):
    browser.cookies[BROWSER_COOKIE] = "a-nonce-this-server-never-gave"

    response = post_to_acs(response_for(agent.user_name))

    assert response.status_code == 403
    assert response.context["check"] == "browser"
    assert signed_in_user_id(browser) is None


def test_browser_refusal_is_in_the_audit_trail_with_the_verified_subject(
    tenant, sso_on, sp, response_for, post_to_acs, browser, agent
):
    del browser.cookies[BROWSER_COOKIE]

    post_to_acs(response_for(agent.user_name))

    event = AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")
    assert event.changes["check"] == "browser"
    assert event.changes["subject"] == agent.user_name


def test_sign_on_sets_a_cross_site_secure_http_only_cookie_on_the_sso_paths(
    settings, sso_on, sp, browser
):
    response = browser.get(sp.sign_on_url)

    cookie = response.cookies[BROWSER_COOKIE]
    assert cookie["samesite"] == "None"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["path"] == "/sso/"
    assert cookie["max-age"] == settings.SSO_REQUEST_TTL_SECONDS


def test_pending_request_keeps_a_digest_of_the_nonce_not_the_nonce(tenant, sso_on, sp, browser):
    response = browser.get(sp.sign_on_url)

    request = read_authn_request(response["Location"])
    pending = cache.get(services._request_key(tenant, request["id"]))
    nonce = response.cookies[BROWSER_COOKIE].value
    assert nonce not in pending.values()
    assert pending["browser"] == services._nonce_digest(nonce)


def test_acs_deletes_the_browser_cookie(sso_on, agent, response_for, post_to_acs):
    response = post_to_acs(response_for(agent.user_name))

    assert response.status_code == 302
    assert response.cookies[BROWSER_COOKIE].value == ""
    assert response.cookies[BROWSER_COOKIE]["max-age"] == 0


def test_idp_initiated_sign_in_needs_no_browser_cookie(
    idp_initiated_on, sp, test_idp, agent, new_browser
):
    xml = test_idp.response_xml(acs_url=sp.acs_url, audience=sp.entity_id, name_id=agent.user_name)
    browser = new_browser()

    response = browser.post(sp.acs_url, {"SAMLResponse": encode(xml)})

    assert response.status_code == 302
    assert signed_in_user_id(browser) == str(agent.pk)


def test_test_sign_in_answered_in_another_browser_reports_the_browser_check(
    tenant, sso_on, tenant_admin, agent, test_idp, client, new_browser
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
    client.cookies.pop(BROWSER_COOKIE)

    response = client.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )

    assert client.get(response["Location"]).context["report"]["check"] == "browser"
