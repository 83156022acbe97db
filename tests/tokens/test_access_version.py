"""Every switch that changes what a token may do is seen on the next request, cached or not.

Each process keeps the tokens it checked, with their tenant (TOKEN_CACHE_SECONDS, 30 in the
tests); it trusts one only while the tenant's access version in the shared cache is unchanged.
"""

import threading

import pytest
from django.db import connection

from apps.roles.models import BuiltinRole
from apps.tenants.access import access_version
from apps.tokens.models import ApiToken
from apps.tokens.services import (
    generate_token,
    revoke_token,
    save_token,
    set_provisioning_role,
    set_scim_admin_grants,
    set_token_access,
)
from apps.users.models import User
from tests.factories import AgentFactory
from tests.scim.entra import patch_body

CONFIG_URL = "/scim/v2/ServiceProviderConfig"


def make_admin(scim_client, user):
    return scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "replace", "path": "roles", "value": [{"value": "admin"}]}),
    )


def test_admin_grants_off_is_seen_by_a_token_this_process_cached(
    scim_client, tenant, tenant_admin, scim_may_grant_admin, django_capture_on_commit_callbacks
):
    agent = AgentFactory(tenant=tenant)
    for _ in range(3):  # the token and its tenant (grants on) are now in this process's cache
        assert scim_client.get(CONFIG_URL).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        set_scim_admin_grants(tenant=tenant, actor=tenant_admin, enabled=False)

    response = make_admin(scim_client, agent)

    assert response.status_code == 400
    assert "may not make" in response.json()["detail"]
    assert User.objects.get(pk=agent.pk).role == BuiltinRole.AGENT


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_admin_grants_switched_off_by_another_worker_is_seen_on_the_next_request(
    scim_client, tenant, tenant_admin, scim_may_grant_admin
):
    # Another worker is another connection that commits the switch; this process learns of
    # it only through the tenant's access version in Redis.
    agent = AgentFactory(tenant=tenant)
    for _ in range(3):
        assert scim_client.get(CONFIG_URL).status_code == 200

    def switch_off_elsewhere():
        set_scim_admin_grants(tenant=tenant, actor=tenant_admin, enabled=False)
        connection.close()

    worker = threading.Thread(target=switch_off_elsewhere)
    worker.start()
    worker.join()
    response = make_admin(scim_client, agent)

    assert response.status_code == 400
    assert User.objects.get(pk=agent.pk).role == BuiltinRole.AGENT


def test_a_token_tried_before_it_was_saved_works_on_the_request_after_saving(
    client, tenant, tenant_admin, django_capture_on_commit_callbacks
):
    token, secret = generate_token(tenant=tenant, actor=tenant_admin, nonce="n" * 43)
    header = f"Bearer {secret}"
    for _ in range(3):
        assert client.get(CONFIG_URL, HTTP_AUTHORIZATION=header).status_code == 401
    with django_capture_on_commit_callbacks(execute=True):
        save_token(tenant=tenant, actor=tenant_admin, token=token, description="Entra ID")

    response = client.get(CONFIG_URL, HTTP_AUTHORIZATION=header)

    assert response.status_code == 200


SWITCHES = {
    "token access off": lambda tenant, actor: set_token_access(
        tenant=tenant, actor=actor, enabled=False
    ),
    "admin grants on": lambda tenant, actor: set_scim_admin_grants(
        tenant=tenant, actor=actor, enabled=True
    ),
    "provisioning role": lambda tenant, actor: set_provisioning_role(
        tenant=tenant, actor=actor, role=BuiltinRole.END_USER
    ),
    "revoke": lambda tenant, actor: revoke_token(
        tenant=tenant, actor=actor, token=ApiToken.objects.get()
    ),
}


@pytest.mark.parametrize("switch", SWITCHES)
def test_every_switch_of_what_a_token_may_do_gives_the_tenant_a_new_access_version(
    tenant, tenant_admin, api_token, switch, django_capture_on_commit_callbacks
):
    before = access_version(tenant.pk)

    with django_capture_on_commit_callbacks(execute=True):
        SWITCHES[switch](tenant, tenant_admin)

    assert access_version(tenant.pk) not in (before, None)
