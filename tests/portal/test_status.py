"""The settings home as a status page: what needs attention, then the modules."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import ScimRequest
from apps.portal.selectors import QUIET_AFTER, attention
from apps.sso.models import SsoSettings

HTTPS_URL = "https://my-tenant.commbox.example/scim/v2"


@pytest.fixture
def admin_client(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def log_request(tenant, token, *, minutes_ago, status=200, refusal=""):
    row = ScimRequest.objects.create(
        tenant=tenant,
        token=token,
        method="GET",
        path="/scim/v2/Users",
        status=status,
        duration_ms=3,
        refusal=refusal,
    )
    ScimRequest.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def texts(tenant, tenant_url=HTTPS_URL) -> list[str]:
    return [item.text for item in attention(tenant, now=timezone.now(), tenant_url=tenant_url)]


def test_entra_gone_quiet_after_two_cycles_without_a_request(tenant, api_token):
    log_request(tenant, api_token[0], minutes_ago=200)
    log_request(tenant, api_token[0], minutes_ago=81)

    assert any("has sent no request since" in text for text in texts(tenant))


def test_entra_within_two_cycles_is_not_quiet(tenant, api_token):
    log_request(tenant, api_token[0], minutes_ago=int(QUIET_AFTER.total_seconds() // 60) - 1)

    assert not any("has sent no request" in text for text in texts(tenant))


def test_entra_that_never_synced_is_not_called_quiet(tenant, api_token):
    log_request(tenant, api_token[0], minutes_ago=300, status=401, refusal="expired")

    assert not any("has sent no request" in text for text in texts(tenant))


def test_refusals_in_the_last_day_are_counted(tenant, api_token):
    log_request(tenant, api_token[0], minutes_ago=30, status=401, refusal="expired")
    log_request(tenant, api_token[0], minutes_ago=60 * 25, status=401, refusal="expired")

    assert "1 SCIM request with this account’s tokens was refused in the last 24 hours." in (
        texts(tenant)
    )


def test_a_tenant_url_on_http_needs_attention(tenant):
    assert any(
        "not https" in text for text in texts(tenant, tenant_url="http://127.0.0.1:8000/scim/v2")
    )


def test_a_tenant_url_on_https_does_not(tenant):
    assert not any("not https" in text for text in texts(tenant))


def test_a_token_never_used_needs_attention(tenant, api_token):
    assert any("never been used" in text for text in texts(tenant))


def test_a_used_token_does_not(tenant, api_token):
    api_token[0].__class__.objects.update(last_used_at=timezone.now())

    assert texts(tenant) == []


def test_settings_home_leads_with_what_needs_attention_then_the_modules(admin_client, api_token):
    content = admin_client.get(reverse("portal:settings")).content.decode()

    assert content.index("What needs attention") < content.index("never been used")
    assert content.index("never been used") < content.index('id="modules-heading"')


def test_settings_home_says_when_sso_is_set_up_half_way(admin_client, tenant):
    SsoSettings.objects.create(
        tenant=tenant, idp_entity_id="https://sts.windows.net/x/", idp_sso_url="https://login/x"
    )

    content = admin_client.get(reverse("portal:settings")).content.decode()

    assert "Single sign-on is set up half way" in content


def test_settings_home_with_nothing_to_do_says_so(admin_client):
    content = admin_client.get(reverse("portal:settings"), secure=True).content.decode()

    assert "Nothing needs attention." in content
