"""What the Provisioning tab keeps of each SCIM request, refused ones included; requests
without a valid token are counted, not stored."""

import base64

from rest_framework.test import APIClient
from rest_framework.throttling import BaseThrottle

from apps.audit import tokenless
from apps.audit.models import Refusal, ScimRequest
from apps.scim.base import ScimView
from apps.tokens.secrets import new_secret
from apps.tokens.services import generate_token, revoke_token, set_token_access
from tests.scim.entra import entra_user

CONFIG_URL = "/scim/v2/ServiceProviderConfig"
OWN_HOST = "my-tenant.commbox.test"


class RefuseEveryRequest(BaseThrottle):
    def allow_request(self, request, view):
        return False

    def wait(self):
        return 30


def call(secret=None, host="testserver", scheme="Bearer"):
    client = APIClient()
    if secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {secret}")
    return client.get(CONFIG_URL, HTTP_HOST=host)


def test_request_without_a_token_on_the_account_address_is_counted_for_it_not_stored(tenant):
    response = call(host=OWN_HOST)

    assert response.status_code == 401
    assert not ScimRequest.objects.exists()
    assert tokenless.requests_without_token(tenant.pk) == 1


def test_a_hundred_requests_without_a_token_add_no_row_and_are_all_counted(tenant):
    for n in range(100):
        APIClient().get(f"/scim/v2/Users/attacker-chosen-{n}", HTTP_HOST=OWN_HOST)

    assert ScimRequest.objects.count() == 0
    assert tokenless.requests_without_token(tenant.pk) == 100


def test_request_without_a_token_on_the_shared_address_names_no_account(tenant):
    call()

    assert not ScimRequest.objects.exists()


def test_malformed_token_on_the_account_address_is_counted_not_stored(tenant):
    call("cbx_not-a-whole-token", host=OWN_HOST)

    assert not ScimRequest.objects.exists()
    assert tokenless.requests_without_token(tenant.pk) == 1


def test_revoked_token_is_logged_for_its_account_and_token(tenant, tenant_admin, api_token):
    token, secret = api_token
    revoke_token(tenant=tenant, actor=tenant_admin, token=token)

    call(secret)

    row = ScimRequest.objects.get()
    assert (row.tenant, row.token, row.status, row.refusal) == (
        tenant,
        token,
        401,
        Refusal.REVOKED,
    )
    assert row.detail == "The API token has been revoked."
    assert secret not in str(row.__dict__)


def test_token_access_off_is_logged_with_the_reason(tenant, tenant_admin, api_token):
    set_token_access(tenant=tenant, actor=tenant_admin, enabled=False)

    call(api_token[1])

    row = ScimRequest.objects.get()
    assert (row.tenant, row.refusal) == (tenant, Refusal.TOKEN_ACCESS_OFF)
    assert "Token Access is switched off" in row.detail


def test_unsaved_token_is_logged_as_never_saved(tenant, tenant_admin):
    token, secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)

    call(secret)

    assert ScimRequest.objects.get().refusal == Refusal.UNSAVED


def test_token_used_on_another_accounts_address_is_logged_for_the_tokens_account(
    tenant, api_token, outsider
):
    call(api_token[1], host="other-tenant.commbox.test")

    row = ScimRequest.objects.get()
    assert (row.tenant, row.token, row.refusal) == (tenant, api_token[0], Refusal.WRONG_DOMAIN)


def test_basic_credentials_naming_a_non_admin_are_logged_as_such(tenant, api_token, agent):
    basic = base64.b64encode(f"{agent.user_name}/token:{api_token[1]}".encode()).decode()

    call(basic, scheme="Basic")

    assert ScimRequest.objects.get().refusal == Refusal.NOT_ADMIN


def test_unknown_token_on_the_account_address_is_counted_not_stored(tenant):
    call(new_secret(), host=OWN_HOST)

    assert not ScimRequest.objects.exists()
    assert tokenless.requests_without_token(tenant.pk) == 1


def test_a_refused_request_with_the_accounts_token_is_not_counted_as_without_token(
    tenant, tenant_admin, api_token
):
    revoke_token(tenant=tenant, actor=tenant_admin, token=api_token[0])

    call(api_token[1], host=OWN_HOST)

    assert tokenless.requests_without_token(tenant.pk) == 0


def test_throttled_request_is_logged_as_refused(scim_client, tenant, monkeypatch):
    monkeypatch.setattr(ScimView, "throttle_classes", [RefuseEveryRequest])

    response = scim_client.get(CONFIG_URL)

    row = ScimRequest.objects.get()
    assert response.status_code == 429
    assert (row.status, row.refusal) == (429, Refusal.THROTTLED)


def test_a_400_keeps_the_scim_detail(scim_client, tenant):
    scim_client.send("post", "/scim/v2/Users", {"schemas": entra_user()["schemas"]})

    row = ScimRequest.objects.get()
    assert row.status == 400
    assert row.detail == "userName is required."


def test_successful_requests_keep_no_detail_and_no_refusal(scim_client, tenant):
    scim_client.get(CONFIG_URL)

    row = ScimRequest.objects.get()
    assert (row.status, row.detail, row.refusal) == (200, "", "")


def test_paths_are_decoded_for_display():
    row = ScimRequest(path="/scim/v2/Users?filter=userName%20eq%20%22grace%40contoso.com%22")

    assert row.decoded_path == '/scim/v2/Users?filter=userName eq "grace@contoso.com"'
