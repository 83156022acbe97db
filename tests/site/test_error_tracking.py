"""Errors reach an operator (Sentry, ADMINS mail) without a secret in them."""

import json
import subprocess
import sys

import pytest
import sentry_sdk
from django.core import mail
from django.test import Client
from sentry_sdk.transport import Transport

from commbox_site.errortracking import start_error_tracking

TOKEN = "cbx_abcdefghijklmnopqrstuvwxyz0123456789ABCD"
SAML_RESPONSE = "PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXMi"
PASSWORD = "correct horse battery staple"
SESSION = "s3ss10nk3yvalue0000000000000000"
SECRETS = (TOKEN, SAML_RESPONSE, PASSWORD, SESSION, "abcdefghijklmnopqrstuvwxyz0123")


class CapturingTransport(Transport):
    """Sentry's network, replaced: the envelopes the SDK would send."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


@pytest.fixture
def sentry_events():
    transport = CapturingTransport()
    start_error_tracking(
        dsn="https://public@sentry.example/1",
        environment="test",
        release="commbox@test",
        traces_sample_rate=0.0,
        transport=transport,
    )
    yield lambda: [e.get_event() for e in transport.envelopes if e.get_event() is not None]
    sentry_sdk.get_client().close()
    sentry_sdk.init()


def failing_post(db):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = SESSION
    return client.post(
        f"/fails/?access_token={TOKEN}",
        {"SAMLResponse": SAML_RESPONSE, "password": PASSWORD, "token": TOKEN, "name": "Grace"},
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )


@pytest.mark.urls("tests.site.failing_urls")
def test_an_error_reaches_sentry_without_tokens_passwords_saml_or_cookies(sentry_events, db):
    response = failing_post(db)

    [event] = sentry_events()
    sent = json.dumps(event)
    assert response.status_code == 500
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    assert [secret for secret in SECRETS if secret in sent] == []


@pytest.mark.urls("tests.site.failing_urls")
def test_the_fields_sentry_gets_are_marked_redacted(sentry_events, db):
    failing_post(db)

    [event] = sentry_events()
    assert event["request"]["data"]["SAMLResponse"] == "[redacted]"
    assert event["request"]["data"]["name"] == "Grace"


@pytest.mark.urls("tests.site.failing_urls")
def test_an_error_is_mailed_to_admins_without_secrets(settings, db):
    settings.ADMINS = [("Ops", "ops@contoso.example")]

    failing_post(db)

    [message] = mail.outbox
    report = message.body + "".join(str(a[0]) for a in message.alternatives)
    assert message.to == ["ops@contoso.example"]
    assert "RuntimeError" in message.subject + report
    assert [secret for secret in SECRETS if secret in report] == []


def sentry_started_by_settings(**variables) -> str:
    code = (
        "import django, sentry_sdk; django.setup(); "
        "print(sentry_sdk.get_client().is_active())"
    )
    environment = {
        "DJANGO_SETTINGS_MODULE": "commbox_site.settings",
        "SECRET_KEY": "x",
        "ENV_FILE": "",
        "PATH": "/usr/bin:/bin",
        **variables,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_without_a_dsn_the_sdk_is_not_started():
    assert sentry_started_by_settings() == "False"


def test_with_a_dsn_the_settings_start_the_sdk():
    assert sentry_started_by_settings(SENTRY_DSN="https://public@sentry.example/1") == "True"


def test_a_report_that_cannot_be_built_does_not_turn_a_400_into_a_500(scim_client, settings):
    settings.ADMINS = [("Ops", "ops@contoso.example")]
    query = "&".join(f"p{n}=1" for n in range(1500))

    response = scim_client.get(f"/scim/v2/Users?{query}")

    assert response.status_code == 400
