import base64
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.tokens.auth import TokenRejected, authenticate_token
from apps.tokens.models import ApiToken
from apps.tokens.secrets import new_secret
from apps.tokens.services import generate_token, revoke_token, set_token_access
from tests.factories import AgentFactory

CONFIG_URL = "/scim/v2/ServiceProviderConfig"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_bearer_token_reaches_the_scim_base_endpoint(client, api_token):
    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"


def test_request_without_credentials_gets_401(client, api_token):
    response = client.get(CONFIG_URL)

    assert response.status_code == 401


def test_token_access_off_gets_401_saying_so(client, tenant, tenant_admin, api_token):
    set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    assert response.status_code == 401
    assert "Token Access is switched off" in response.json()["detail"]


def test_revoked_token_gets_401_saying_so(client, tenant, tenant_admin, api_token):
    revoke_token(tenant=tenant, actor=tenant_admin, token=api_token[0])

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_generated_but_unsaved_token_gets_401_saying_so(client, tenant, tenant_admin):
    _token, secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401
    assert "never saved" in response.json()["detail"]


def test_expired_token_gets_401_saying_so(client, api_token):
    ApiToken.objects.filter(pk=api_token[0].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_unknown_well_formed_token_gets_401(client, api_token):
    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {new_secret()}")

    assert response.status_code == 401
    assert "not recognised" in response.json()["detail"]


def test_mistyped_token_is_rejected_without_a_database_query(api_token, django_assert_num_queries):
    secret = api_token[1]
    mistyped = secret[:10] + ("A" if secret[10] != "A" else "B") + secret[11:]

    with django_assert_num_queries(0), pytest.raises(TokenRejected, match="malformed"):
        authenticate_token(header=f"Bearer {mistyped}", host="testserver")


def test_rejection_never_echoes_the_token(client, tenant, tenant_admin, api_token):
    set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    assert api_token[1] not in response.content.decode()


def test_token_is_found_in_one_query_and_last_use_written_in_one_more(
    api_token, django_assert_num_queries
):
    with django_assert_num_queries(2):
        authenticate_token(header=f"Bearer {api_token[1]}", host="testserver")


def test_own_tenant_host_is_accepted(client, api_token):
    response = client.get(
        CONFIG_URL,
        HTTP_AUTHORIZATION=f"Bearer {api_token[1]}",
        HTTP_HOST="my-tenant.commbox.test",
    )

    assert response.status_code == 200


def test_another_tenants_host_gets_401(client, api_token, outsider):
    response = client.get(
        CONFIG_URL,
        HTTP_AUTHORIZATION=f"Bearer {api_token[1]}",
        HTTP_HOST="other-tenant.commbox.test",
    )

    assert response.status_code == 401
    assert "does not belong to this account" in response.json()["detail"]


def test_basic_form_with_an_admin_user_name_works(client, tenant_admin, api_token):
    header = basic(f"{tenant_admin.user_name}/token", api_token[1])

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 200


def test_basic_form_matches_the_admin_user_name_in_any_case(client, tenant_admin, api_token):
    header = basic(f"{tenant_admin.user_name.upper()}/token", api_token[1])

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 200


def test_basic_form_with_a_non_admin_user_name_gets_401(client, tenant, api_token):
    agent = AgentFactory(tenant=tenant)

    response = client.get(
        CONFIG_URL, HTTP_AUTHORIZATION=basic(f"{agent.user_name}/token", api_token[1])
    )

    assert response.status_code == 401
    assert "is not an active admin" in response.json()["detail"]


def test_basic_form_with_another_tenants_admin_gets_401(client, outsider, api_token):
    response = client.get(
        CONFIG_URL, HTTP_AUTHORIZATION=basic(f"{outsider.user_name}/token", api_token[1])
    )

    assert response.status_code == 401


def test_basic_form_without_the_token_suffix_gets_401(client, tenant_admin, api_token):
    response = client.get(
        CONFIG_URL, HTTP_AUTHORIZATION=basic(tenant_admin.user_name, api_token[1])
    )

    assert response.status_code == 401


def test_last_used_at_is_written_on_first_use(client, api_token):
    client.get(CONFIG_URL, HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    api_token[0].refresh_from_db()
    assert api_token[0].last_used_at is not None


def test_last_used_at_is_not_written_again_within_a_minute(api_token, django_assert_num_queries):
    authenticate_token(header=f"Bearer {api_token[1]}", host="testserver")
    first_use = ApiToken.objects.get().last_used_at

    with django_assert_num_queries(1):
        authenticate_token(header=f"Bearer {api_token[1]}", host="testserver")

    assert ApiToken.objects.get().last_used_at == first_use


def test_last_used_at_is_written_again_after_a_minute(api_token):
    an_earlier_minute = timezone.now() - timedelta(seconds=61)
    ApiToken.objects.filter(pk=api_token[0].pk).update(last_used_at=an_earlier_minute)

    authenticate_token(header=f"Bearer {api_token[1]}", host="testserver")

    assert ApiToken.objects.get().last_used_at > an_earlier_minute


def test_a_token_checked_before_costs_no_query(api_token, django_assert_num_queries):
    header = f"Bearer {api_token[1]}"
    authenticate_token(header=header, host="")  # loads the token, writes its last use
    authenticate_token(header=header, host="")  # loads it again, now with the tenant's version

    with django_assert_num_queries(0):
        token = authenticate_token(header=header, host="")

    assert token == api_token[0]


def test_a_cached_token_is_refused_on_the_next_request_after_revoking(
    client, tenant, tenant_admin, api_token, django_capture_on_commit_callbacks
):
    # Revoking leaves this process's token cache alone and changes only the tenant's access
    # version in the shared cache, which is what another worker or instance sees too.
    header = f"Bearer {api_token[1]}"
    for _ in range(3):
        assert client.get(CONFIG_URL, HTTP_AUTHORIZATION=header).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        revoke_token(tenant=tenant, actor=tenant_admin, token=ApiToken.objects.get())

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_cached_token_is_refused_on_the_next_request_after_token_access_off(
    client, tenant, tenant_admin, api_token, django_capture_on_commit_callbacks
):
    header = f"Bearer {api_token[1]}"
    for _ in range(3):
        assert client.get(CONFIG_URL, HTTP_AUTHORIZATION=header).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "Token Access is switched off" in response.json()["detail"]


def test_a_cached_token_is_reloaded_after_its_lifetime(api_token, settings, monkeypatch):
    header = f"Bearer {api_token[1]}"
    authenticate_token(header=header, host="")
    authenticate_token(header=header, host="")
    # A change that bypassed the services (and so the version) is seen once the entry ages.
    ApiToken.objects.filter(pk=api_token[0].pk).update(revoked_at=timezone.now())
    settings.TOKEN_CACHE_SECONDS = 0.001
    time.sleep(0.01)

    with pytest.raises(TokenRejected, match="revoked"):
        authenticate_token(header=header, host="")


def test_tokens_are_not_cached_without_a_shared_cache(api_token, settings):
    settings.TOKEN_CACHE_SECONDS = 0
    header = f"Bearer {api_token[1]}"
    authenticate_token(header=header, host="")
    authenticate_token(header=header, host="")
    ApiToken.objects.filter(pk=api_token[0].pk).update(revoked_at=timezone.now())

    with pytest.raises(TokenRejected, match="revoked"):
        authenticate_token(header=header, host="")


def test_a_request_with_a_cached_token_checks_the_connection_once(api_token, client, monkeypatch):
    header = f"Bearer {api_token[1]}"
    for _ in range(3):
        client.get(CONFIG_URL, HTTP_AUTHORIZATION=header)
    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or is_usable())
    # What Django does when a request starts (the test client leaves it out).
    connection.health_check_done = False

    client.get("/scim/v2/Users", HTTP_AUTHORIZATION=header)

    assert len(checks) == 1
