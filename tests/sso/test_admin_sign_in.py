"""Single sign-on never lands in an account whose role is above what Entra may grant.

Signed responses from the test IdP, posted to the ACS as Entra's page does.
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.sso import services
from apps.sso.models import MatchBy
from apps.users.models import User
from apps.users.services import update_user
from apps.users.views import sign_in_phrase
from tests.factories import AdminFactory, UserEmailFactory

EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def refusal(tenant):
    return AuditEvent.objects.for_tenant(tenant).get(action="sso.refused")


def match_by(tenant, rule):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=rule,
    )


def test_an_admin_is_refused_while_entra_may_not_grant_the_admin_role(
    browser, tenant, tenant_admin, response_for, post_to_acs
):
    response = post_to_acs(response_for(tenant_admin.user_name))

    assert response.status_code == 403
    assert browser.session.get(SESSION_KEY) is None
    assert refusal(tenant).changes["check"] == "user"
    assert "admins of this account sign in with their password" in refusal(tenant).changes["reason"]
    assert "Settings → API → Provisioning" in refusal(tenant).changes["reason"]
    assert refusal(tenant).target_id == str(tenant_admin.public_id)


def test_an_admin_matched_by_email_is_refused_while_entra_may_not_grant_the_admin_role(
    browser, tenant, sso_on, tenant_admin, response_for, post_to_acs
):
    match_by(tenant, MatchBy.EMAIL)
    UserEmailFactory(user=tenant_admin, value="grace@contoso.com")

    response = post_to_acs(response_for("grace@contoso.com"))

    assert response.status_code == 403
    assert browser.session.get(SESSION_KEY) is None
    assert "is an admin" in refusal(tenant).changes["reason"]


def test_an_admin_matched_by_object_id_is_refused_while_entra_may_not_grant_the_admin_role(
    browser, tenant, sso_on, test_idp, response_for, post_to_acs
):
    match_by(tenant, MatchBy.OBJECT_ID)
    admin = AdminFactory(tenant=tenant, external_id="0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    claims = test_idp.claims_for("grace@contoso.com", object_id=admin.external_id)

    response = post_to_acs(response_for("grace@contoso.com", claims=claims))

    assert response.status_code == 403
    assert browser.session.get(SESSION_KEY) is None
    assert "is an admin" in refusal(tenant).changes["reason"]


def test_an_admin_signs_in_where_entra_may_grant_the_admin_role(
    browser, tenant_admin, scim_may_grant_admin, response_for, post_to_acs
):
    response = post_to_acs(response_for(tenant_admin.user_name))

    assert response.status_code == 302
    assert browser.session.get(SESSION_KEY) == str(tenant_admin.pk)


def test_an_admin_without_a_password_cannot_sign_in_while_entra_may_not_grant_the_admin_role(
    tenant, sso_on
):
    admin = AdminFactory(tenant=tenant, without_password=True)

    assert not admin.can_sign_in
    assert not User.objects.can_sign_in().filter(pk=admin.pk).exists()


def test_an_admin_without_a_password_can_sign_in_where_entra_may_grant_the_admin_role(
    tenant, sso_on, scim_may_grant_admin
):
    admin = AdminFactory(tenant=tenant, without_password=True)

    assert User.objects.get(pk=admin.pk).can_sign_in
    assert User.objects.can_sign_in().filter(pk=admin.pk).exists()


def test_the_last_admin_with_a_password_cannot_go_while_the_other_admin_has_only_sso(
    tenant, sso_on, tenant_admin
):
    AdminFactory(tenant=tenant, without_password=True)

    with pytest.raises(ValidationError, match="last active admin who can sign in"):
        update_user(
            tenant=tenant, actor=tenant_admin, user=tenant_admin, attributes={"is_active": False}
        )

    tenant_admin.refresh_from_db()
    assert tenant_admin.is_active


def test_the_user_page_says_an_admin_without_a_password_cannot_sign_in(tenant, sso_on):
    admin = User.objects.get(pk=AdminFactory(tenant=tenant, without_password=True).pk)

    assert sign_in_phrase(admin) == (
        f"{admin.user_name} has no password, and single sign-on does not sign admins in while "
        "Microsoft Entra ID may not make users admins, so they cannot sign in."
    )
