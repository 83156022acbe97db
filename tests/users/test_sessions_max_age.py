"""A session ends SESSION_MAX_AGE seconds after sign-in, however busy it stayed."""

import time

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from apps.users.sessions import SIGNED_IN_AT
from tests.factories import PASSWORD


def signed_in(user) -> Client:
    browser = Client()
    response = browser.post(
        reverse("portal:login"),
        {"subdomain": user.tenant.subdomain, "user_name": user.user_name, "password": PASSWORD},
    )
    assert response.status_code == 302
    return browser


def signed_in_seconds_ago(browser: Client, seconds: int) -> None:
    session = browser.session
    session[SIGNED_IN_AT] = int(time.time()) - seconds
    session.save()


def test_signing_in_keeps_the_sign_in_time_in_the_session(tenant_admin):
    before = int(time.time())

    browser = signed_in(tenant_admin)

    assert before <= browser.session[SIGNED_IN_AT] <= time.time()


def test_the_default_absolute_lifetime_is_one_day(settings):
    assert settings.SESSION_MAX_AGE == 24 * 60 * 60


def test_a_session_past_its_absolute_lifetime_is_sent_to_sign_in(tenant_admin, settings):
    browser = signed_in(tenant_admin)
    signed_in_seconds_ago(browser, settings.SESSION_MAX_AGE)

    response = browser.get(reverse("portal:settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_a_session_past_its_absolute_lifetime_is_deleted(tenant_admin, settings):
    browser = signed_in(tenant_admin)
    signed_in_seconds_ago(browser, settings.SESSION_MAX_AGE)
    session_key = browser.session.session_key

    browser.get(reverse("portal:settings"))

    assert not Session.objects.filter(session_key=session_key).exists()


def test_a_session_used_every_minute_still_ends_at_its_absolute_lifetime(tenant_admin, settings):
    settings.SESSION_MAX_AGE = 3600
    browser = signed_in(tenant_admin)
    signed_in_seconds_ago(browser, 3599)
    assert browser.get(reverse("portal:settings")).status_code == 200
    signed_in_seconds_ago(browser, 3600)

    response = browser.get(reverse("portal:settings"))

    assert response.status_code == 302


def test_a_session_within_its_absolute_lifetime_stays_signed_in(tenant_admin, settings):
    browser = signed_in(tenant_admin)
    signed_in_seconds_ago(browser, settings.SESSION_MAX_AGE - 60)

    response = browser.get(reverse("portal:settings"))

    assert response.status_code == 200


def test_signing_in_again_after_the_lifetime_starts_a_new_one(tenant_admin, settings):
    browser = signed_in(tenant_admin)
    signed_in_seconds_ago(browser, settings.SESSION_MAX_AGE)
    browser.get(reverse("portal:settings"))

    browser.post(
        reverse("portal:login"),
        {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": PASSWORD},
    )

    assert browser.get(reverse("portal:settings")).status_code == 200


def test_an_admin_session_past_its_absolute_lifetime_is_sent_to_the_admin_sign_in(
    client, staff, settings
):
    client.force_login(staff)
    client.get(reverse("admin:index"))  # the first request keeps the sign-in time
    signed_in_seconds_ago(client, settings.SESSION_MAX_AGE)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_session_signed_in_before_sign_in_times_were_kept_gets_one_on_its_next_request(
    tenant_admin,
):
    browser = signed_in(tenant_admin)
    session = browser.session
    del session[SIGNED_IN_AT]
    session.save()

    browser.get(reverse("portal:settings"))

    assert browser.session[SIGNED_IN_AT] <= time.time()


def test_a_sign_in_through_the_admin_keeps_the_sign_in_time(client, staff):
    client.force_login(staff)  # Django's login(), as the admin's sign-in form calls it

    assert client.session[SIGNED_IN_AT] <= time.time()
