"""Anonymous sign-in starts: throttled per client address, pending requests bounded per account."""

import pytest
from django.test import Client


@pytest.fixture
def start_from(sso_on, sp):
    """GETs the sign-on URL from a client address."""

    def get(address="203.0.113.7"):
        return Client(HTTP_HOST="my-tenant.commbox.test", REMOTE_ADDR=address).get(sp.sign_on_url)

    return get


@pytest.fixture
def limits(settings):
    settings.SSO_RATE_LIMIT_START_PER_ADDRESS = "3/10m"
    settings.SSO_MAX_PENDING_SIGN_INS_PER_ACCOUNT = 5


def test_sign_ins_started_from_one_address_over_the_limit_answer_429(limits, start_from):
    statuses = [start_from().status_code for _ in range(5)]

    assert statuses == [302, 302, 302, 429, 429]


def test_refused_start_sets_no_cookie_and_says_when_to_try_again(limits, start_from):
    for _ in range(3):
        start_from()

    response = start_from()

    assert "sso_browser" not in response.cookies
    assert b"Too many sign-ins were started from your network address." in response.content


def test_another_address_still_starts_a_sign_in(limits, start_from):
    for _ in range(4):
        start_from()

    assert start_from("198.51.100.1").status_code == 302


def test_pending_sign_ins_of_an_account_are_bounded_whatever_the_address(limits, start_from):
    for number in range(5):
        start_from(f"198.51.100.{number}")

    response = start_from("192.0.2.1")

    assert response.status_code == 429
    assert b"waiting for the identity provider" in response.content


def test_admins_test_sign_in_is_not_throttled(limits, tenant, tenant_admin, client, start_from):
    for number in range(6):
        start_from(f"198.51.100.{number}")
    client.force_login(tenant_admin)

    assert client.post("/settings/sso/test/").status_code == 302
