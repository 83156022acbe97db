"""Just-in-time agents: off by default; when on, a person Entra signs in who is not a user
yet becomes an agent with the default permission profile; SCIM later finds them by
userName; a deleted or deactivated user is never made or reactivated by a sign-in."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from apps.audit.models import AuditAction, AuditEvent, Channel
from apps.sso import services
from apps.users.models import User
from apps.users.services import delete_user
from tests.factories import AgentFactory, CustomRoleFactory
from tests.scim.entra import entra_user
from tests.sso.conftest import HOST
from tests.sso.idp import DISPLAY_NAME, GIVEN_NAME, SURNAME, encode, read_authn_request

NEWCOMER = "grace@contoso.com"


@pytest.fixture
def tier1(tenant):
    return CustomRoleFactory(tenant=tenant, name="Tier 1")


@pytest.fixture
def agents_created(sso_on, tenant, tier1):
    return services.set_agent_creation(tenant=tenant, actor=None, enabled=True, role=tier1)


@pytest.fixture
def grace_claims(test_idp):
    claims = test_idp.claims_for(NEWCOMER, email="grace.hopper@contoso.com")
    claims.update({GIVEN_NAME: ["Grace"], SURNAME: ["Hopper"], DISPLAY_NAME: ["Grace Hopper"]})
    return claims


def refusal_reason(tenant):
    return (
        AuditEvent.objects.for_tenant(tenant).get(action=AuditAction.SSO_REFUSED).changes["reason"]
    )


def test_agent_creation_is_off_by_default(sso_on):
    assert not sso_on.creates_agents


def test_while_off_an_unknown_person_is_refused_as_before(
    tenant, sso_on, response_for, post_to_acs, grace_claims
):
    response = post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    assert (response.status_code, User.objects.filter(user_name=NEWCOMER).exists()) == (
        403,
        False,
    )
    assert (
        refusal_reason(tenant) == f'No user of this account has the NameID "{NEWCOMER}" (userName).'
    )


def test_an_unknown_person_becomes_an_agent_with_the_default_profile(
    browser, agents_created, tier1, response_for, post_to_acs, grace_claims
):
    post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    user = User.objects.get(user_name=NEWCOMER)
    assert (user.role, user.custom_role, user.source) == ("agent", tier1, Channel.SSO)
    assert browser.session[SESSION_KEY] == str(user.pk)


def test_the_new_agent_takes_name_and_email_from_the_claims(
    agents_created, response_for, post_to_acs, grace_claims
):
    post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    user = User.objects.get(user_name=NEWCOMER)
    assert (user.given_name, user.family_name, user.display_name, user.primary_email) == (
        "Grace",
        "Hopper",
        "Grace Hopper",
        "grace.hopper@contoso.com",
    )


def test_the_creation_is_recorded_as_made_by_single_sign_on(
    tenant, agents_created, response_for, post_to_acs, grace_claims
):
    post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    event = AuditEvent.objects.for_tenant(tenant).get(action=AuditAction.USER_CREATED)
    assert (event.channel, event.actor_type, event.target_label) == (
        Channel.SSO,
        "idp",
        NEWCOMER,
    )


def test_entra_provisioning_the_person_later_matches_them_by_user_name(
    agents_created, response_for, post_to_acs, grace_claims, scim_client
):
    post_to_acs(response_for(NEWCOMER, claims=grace_claims))
    created = User.objects.get(user_name=NEWCOMER)

    response = scim_client.send("post", "/scim/v2/Users", entra_user(NEWCOMER))

    assert (response.status_code, response.json()["id"]) == (201, str(created.public_id))
    assert User.objects.filter(user_name__iexact=NEWCOMER).count() == 1


def test_entra_provisioning_takes_its_attributes_onto_the_matched_agent(
    agents_created, response_for, post_to_acs, grace_claims, scim_client
):
    post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    scim_client.send("post", "/scim/v2/Users", entra_user(NEWCOMER, externalId="entra-42"))

    assert User.objects.get(user_name=NEWCOMER).external_id == "entra-42"


def test_scim_still_refuses_a_taken_user_name_of_a_user_it_made(scim_client, tenant):
    AgentFactory(tenant=tenant, user_name=NEWCOMER, source=Channel.SCIM)

    response = scim_client.send("post", "/scim/v2/Users", entra_user(NEWCOMER))

    assert response.status_code == 409


def test_a_deleted_user_is_never_created_again_by_a_sign_in(
    tenant, tenant_admin, agents_created, response_for, post_to_acs, grace_claims
):
    gone = AgentFactory(tenant=tenant, user_name=NEWCOMER)
    delete_user(tenant=tenant, actor=tenant_admin, user=gone)

    response = post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    assert (response.status_code, User.objects.filter(user_name=NEWCOMER).exists()) == (
        403,
        False,
    )
    assert "single sign-on does not create deleted users again" in refusal_reason(tenant)


def test_a_user_deleted_through_scim_is_refused_with_the_reason(
    tenant, agents_created, response_for, post_to_acs, grace_claims, scim_client
):
    gone = AgentFactory(tenant=tenant, user_name=NEWCOMER)
    scim_client.delete(f"/scim/v2/Users/{gone.public_id}")

    post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    assert refusal_reason(tenant).startswith(f"{NEWCOMER} was deleted from this account (SCIM,")


def test_a_deactivated_user_is_not_reactivated_by_a_sign_in(
    tenant, agents_created, response_for, post_to_acs, grace_claims
):
    AgentFactory(tenant=tenant, user_name=NEWCOMER, is_active=False)

    response = post_to_acs(response_for(NEWCOMER, claims=grace_claims))

    assert (response.status_code, User.objects.get(user_name=NEWCOMER).is_active) == (403, False)
    assert refusal_reason(tenant) == f"{NEWCOMER} is deactivated."


def test_a_test_sign_in_creates_nobody(
    tenant, tenant_admin, agents_created, test_idp, sp, grace_claims
):
    admin_browser = Client(HTTP_HOST=HOST)
    admin_browser.force_login(tenant_admin)
    started = admin_browser.post(reverse("sso:test"))
    request = read_authn_request(started["Location"])
    xml = test_idp.response_xml(
        acs_url=sp.acs_url,
        audience=sp.entity_id,
        name_id=NEWCOMER,
        in_response_to=request["id"],
        claims=grace_claims,
    )

    admin_browser.post(
        sp.acs_url, {"SAMLResponse": encode(xml), "RelayState": request["relay_state"]}
    )

    tested = AuditEvent.objects.for_tenant(tenant).get(action=AuditAction.SSO_TESTED)
    assert (tested.changes["result"], User.objects.filter(user_name=NEWCOMER).exists()) == (
        "failed: user",
        False,
    )


def test_the_sso_page_switches_agent_creation_on(client, tenant, tenant_admin, sso_on, tier1):
    client.force_login(tenant_admin)

    client.post(
        reverse("sso:agent_creation"),
        {"creates_agents": "on", "new_agent_role": tier1.public_id},
        HTTP_HOST="my-tenant.commbox.test",
    )

    sso_on.refresh_from_db()
    assert (sso_on.creates_agents, sso_on.new_agent_role) == (True, tier1)


def test_another_accounts_role_cannot_be_the_default(tenant, sso_on, outsider):
    foreign = CustomRoleFactory(tenant=outsider.tenant)

    with pytest.raises(Exception, match="custom roles"):
        services.set_agent_creation(tenant=tenant, actor=None, enabled=True, role=foreign)


def test_the_sso_page_lists_the_agent_created_at_sign_in(
    client, tenant_admin, agents_created, response_for, post_to_acs, grace_claims
):
    post_to_acs(response_for(NEWCOMER, claims=grace_claims))
    client.force_login(tenant_admin)

    page = client.get(reverse("sso:settings"), HTTP_HOST=HOST).content.decode()

    assert f"<code>{NEWCOMER}</code>" in page
    assert '<span class="badge info">agent created</span>' in page
