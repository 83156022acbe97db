"""Responses refused before their signature is verified: counted, throttled, never quoted."""

import pytest
from django.contrib.auth import SESSION_KEY

from apps.audit.models import AuditEvent
from apps.audit.wording import sentence
from tests.sso.idp import encode

NOTICE = "SECURITY NOTICE: your account is locked, call support at +1 555 0100"


@pytest.fixture
def unsigned_post(idp_initiated_on, sp, test_idp):
    """POSTs an unsigned IdP-initiated response claiming NOTICE as its NameID, from an address."""
    from django.test import Client

    xml = test_idp.response_xml(
        acs_url=sp.acs_url, audience=sp.entity_id, name_id=NOTICE, sign="none"
    )

    def post(address="203.0.113.7"):
        client = Client(HTTP_HOST="my-tenant.commbox.test", REMOTE_ADDR=address)
        return client.post(sp.acs_url, {"SAMLResponse": encode(xml)})

    return post


@pytest.fixture
def limits(settings):
    settings.SSO_RATE_LIMIT_UNVERIFIED_PER_ADDRESS = "3/10m"
    settings.SSO_RATE_LIMIT_UNVERIFIED_PER_ACCOUNT = "5/10m"


def test_many_unsigned_responses_leave_one_audit_row(tenant, unsigned_post):
    for _ in range(10):
        unsigned_post()

    assert AuditEvent.objects.for_tenant(tenant).filter(action="sso.refused").count() == 1


def test_unsigned_responses_claimed_text_never_reaches_the_audit_trail(tenant, unsigned_post):
    for _ in range(3):
        unsigned_post()

    rows = [str(e.changes) + e.actor_label for e in AuditEvent.objects.for_tenant(tenant)]
    assert not [row for row in rows if "SECURITY NOTICE" in row]


def test_unsigned_response_row_names_our_check_only(tenant, unsigned_post):
    unsigned_post()

    event = AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")
    assert event.changes["check"] == "signature"
    assert event.changes["verified"] is False
    assert "subject" not in event.changes
    assert event.actor_type == "anonymous"


def test_unsigned_responses_over_the_address_limit_answer_429(limits, unsigned_post):
    statuses = [unsigned_post().status_code for _ in range(5)]

    assert statuses == [403, 403, 403, 429, 429]


def test_429_page_says_when_to_try_again(limits, unsigned_post):
    for _ in range(3):
        unsigned_post()

    response = unsigned_post()

    assert b"Try again in" in response.content
    assert response["Retry-After"] == str(response.context["minutes"] * 60)


def test_unsigned_responses_over_the_account_limit_answer_429_from_any_address(
    limits, unsigned_post
):
    for number in range(5):
        unsigned_post(f"198.51.100.{number}")

    assert unsigned_post("192.0.2.1").status_code == 429


def test_signed_response_signs_in_while_the_account_is_over_its_unverified_limit(
    limits, unsigned_post, agent, response_for, post_to_acs, browser
):
    # Nobody can lock an account's users out by sending it garbage.
    for number in range(6):
        unsigned_post(f"198.51.100.{number}")

    response = post_to_acs(response_for(agent.user_name))

    assert response.status_code == 302
    assert browser.session.get(SESSION_KEY) == str(agent.pk)


def test_verified_refusal_keeps_its_subject(tenant, sso_on, response_for, post_to_acs):
    post_to_acs(response_for("stranger@contoso.com"))

    event = AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")
    assert event.changes["subject"] == "stranger@contoso.com"
    assert event.actor_type == "idp"


def test_unverified_refusal_reads_as_one_sentence_on_the_activity_page(tenant, unsigned_post):
    unsigned_post()

    event = AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")
    assert sentence(event).before.startswith(
        "A single sign-on of someone was refused: the response could not be verified "
        "(check: signature)"
    )
