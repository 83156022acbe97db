"""A SCIM request without a token is told, in a SCIM error body, where tokens are made."""

from datetime import timedelta

from django.utils import timezone

from apps.audit.models import Refusal, ScimRequest
from apps.tokens.models import ApiToken


def test_request_without_a_token_gets_a_scim_401_saying_where_tokens_are_made(client, tenant):
    response = client.get("/scim/v2/Users")

    body = response.json()
    assert response.status_code == 401
    assert response["Content-Type"] == "application/scim+json"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == "401"
    assert "Settings → Modules → API" in body["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"'


def test_a_request_with_an_expired_token_is_in_the_accounts_request_log(client, tenant, api_token):
    ApiToken.objects.filter(pk=api_token[0].pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )

    client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {api_token[1]}")

    logged = ScimRequest.objects.get()
    assert logged.tenant == tenant
    assert logged.token == api_token[0]
    assert (logged.status, logged.refusal) == (401, Refusal.EXPIRED)
    assert "expired at" in logged.detail
