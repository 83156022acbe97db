from apps.sso import services
from tests.sso.idp import TestIdp


def test_support_sees_an_accounts_sso_settings_and_certificates_read_only(
    client, tenant, admin_user
):
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=TestIdp().metadata_xml())
    sso = services.get_sso_settings(tenant)
    thumbprint = sso.certificates.get().thumbprint
    client.force_login(admin_user)

    page = client.get(f"/admin/sso/ssosettings/{sso.pk}/change/")
    changelist = client.get("/admin/sso/ssosettings/", {"sso": "off"})

    assert page.status_code == 200
    assert thumbprint in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert changelist.context["cl"].result_count == 1


def test_admin_never_shows_the_accounts_private_signing_key(client, tenant, admin_user):
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=TestIdp().metadata_xml())
    sso = services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by="name-id",
        sign_requests=True,
    )
    client.force_login(admin_user)

    page = client.get(f"/admin/sso/ssosettings/{sso.pk}/change/")

    key_body = sso.sp_private_key.splitlines()[1]
    assert page.status_code == 200
    assert key_body not in page.content.decode()
    assert "PRIVATE KEY" not in page.content.decode()


def test_support_sees_the_idps_logout_url_and_the_signed_logout_option(client, tenant, admin_user):
    idp = TestIdp()
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=idp.metadata_xml())
    sso = services.get_sso_settings(tenant)
    client.force_login(admin_user)

    page = client.get(f"/admin/sso/ssosettings/{sso.pk}/change/").content.decode()

    assert idp.sso_url in page
    assert "Signed logout required at" in page
