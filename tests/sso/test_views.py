"""Settings → Single sign-on, the sign-in page's button, metadata and the flow entry points."""

import re
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent, Channel
from apps.sso import services
from apps.sso.models import IdpCertificate, MatchBy, SsoSettings
from tests.factories import TenantFactory
from tests.sso.idp import TestIdp, make_signing_key, redirect_signature_is_valid

SSO_PAGE = "/settings/sso/"


def test_sso_page_shows_the_values_to_paste_into_entra_with_copy_buttons(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(SSO_PAGE, HTTP_HOST="my-tenant.commbox.test")

    page = response.content.decode()
    assert response.status_code == 200
    assert "http://my-tenant.commbox.test/sso/saml/metadata/" in page
    assert "http://my-tenant.commbox.test/sso/saml/acs/" in page
    assert "http://my-tenant.commbox.test/sso/saml/login/" in page
    assert "http://my-tenant.commbox.test/sso/saml/slo/" in page
    assert page.count('data-copy-target="sp-') == 4


def test_sso_page_on_the_plain_host_names_the_account_in_the_paths(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(SSO_PAGE)

    assert "http://testserver/sso/my-tenant/saml/acs/" in response.content.decode()


def test_sso_page_is_for_admins_only(client, agent):
    client.force_login(agent)

    response = client.get(SSO_PAGE)

    assert response.status_code == 403


def test_settings_nav_has_single_sign_on(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get("/settings/")

    assert b'href="/settings/sso/"' in response.content


def test_uploaded_metadata_keeps_every_signing_certificate(client, tenant, tenant_admin):
    idp = TestIdp(keys=[make_signing_key("old"), make_signing_key("new")])
    client.force_login(tenant_admin)
    upload = SimpleUploadedFile("metadata.xml", idp.metadata_xml().encode(), "text/xml")

    response = client.post("/settings/sso/metadata/upload/", {"metadata_file": upload})

    assert response.status_code == 302
    sso = SsoSettings.objects.get(tenant=tenant)
    assert sso.idp_entity_id == idp.entity_id
    assert sso.idp_sso_url == idp.sso_url
    assert sso.certificates.count() == 2
    event = AuditEvent.objects.get(action="sso.metadata_loaded")
    assert event.channel == Channel.UI
    assert len(event.changes["certificates"][1]) == 2


def test_sso_page_shows_each_certificates_thumbprint_and_expiry(client, tenant, tenant_admin):
    idp = TestIdp()
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=idp.metadata_xml())
    certificate = IdpCertificate.objects.get()
    client.force_login(tenant_admin)

    page = client.get(SSO_PAGE).content.decode()

    assert certificate.thumbprint in page
    assert certificate.not_after.strftime("%Y-%m-%d") in page


def test_upload_that_is_not_metadata_is_refused_and_changes_nothing(client, tenant, tenant_admin):
    client.force_login(tenant_admin)
    upload = SimpleUploadedFile("metadata.xml", b"<html>not metadata</html>", "text/xml")

    response = client.post("/settings/sso/metadata/upload/", {"metadata_file": upload})

    assert response.status_code == 400
    assert "names no identity provider" in response.content.decode()
    assert not IdpCertificate.objects.exists()


def test_metadata_url_is_read_server_side_and_kept(client, tenant, tenant_admin, metadata_server):
    idp = TestIdp()
    metadata_server.body = idp.metadata_xml().encode()
    client.force_login(tenant_admin)

    response = client.post("/settings/sso/metadata/url/", {"metadata_url": metadata_server.url})

    assert response.status_code == 302
    sso = SsoSettings.objects.get(tenant=tenant)
    assert sso.metadata_url == metadata_server.url
    assert sso.metadata_fetched_at is not None
    assert sso.idp_entity_id == idp.entity_id


def test_metadata_url_larger_than_the_limit_is_refused(
    client, tenant, tenant_admin, metadata_server, settings
):
    settings.SSO_METADATA_MAX_BYTES = 1024
    metadata_server.body = b"<x>" + b" " * 5000 + b"</x>"
    client.force_login(tenant_admin)

    response = client.post("/settings/sso/metadata/url/", {"metadata_url": metadata_server.url})

    assert response.status_code == 400
    assert "larger than 1 KB" in response.content.decode()


def test_metadata_url_that_does_not_answer_in_time_is_refused(
    client, tenant, tenant_admin, metadata_server, settings
):
    settings.SSO_METADATA_TIMEOUT_SECONDS = 0.3
    metadata_server.body = TestIdp().metadata_xml().encode()
    metadata_server.delay = 1.5
    client.force_login(tenant_admin)

    response = client.post("/settings/sso/metadata/url/", {"metadata_url": metadata_server.url})

    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert not IdpCertificate.objects.exists()


def test_metadata_url_on_a_private_address_is_refused_with_a_clear_error(
    client, tenant, tenant_admin, settings
):
    settings.SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(tenant_admin)

    response = client.post(
        "/settings/sso/metadata/url/",
        {"metadata_url": "http://169.254.169.254/metadata/identity/oauth2/token"},
    )

    assert response.status_code == 400
    assert "non-public address, which this server does not fetch" in response.content.decode()
    assert not SsoSettings.objects.filter(tenant=tenant).exclude(metadata_url="").exists()


def test_refresh_trusts_the_new_certificate_and_drops_the_one_entra_removed(
    client, tenant, tenant_admin, metadata_server
):
    old, new = make_signing_key("old"), make_signing_key("new")
    idp = TestIdp(keys=[old])
    metadata_server.body = idp.metadata_xml().encode()
    services.configure_from_metadata_url(tenant=tenant, actor=None, url=metadata_server.url)
    idp.keys = [new]
    metadata_server.body = idp.metadata_xml().encode()
    client.force_login(tenant_admin)

    response = client.post("/settings/sso/metadata/refresh/")

    assert response.status_code == 302
    subjects = list(IdpCertificate.objects.values_list("subject", flat=True))
    assert subjects == ["CN=new"]


def test_manual_configuration_takes_pasted_certificates(client, tenant, tenant_admin):
    first, second = make_signing_key("first"), make_signing_key("second")
    client.force_login(tenant_admin)

    response = client.post(
        "/settings/sso/identity-provider/",
        {
            "idp_entity_id": "https://sts.windows.net/0000/",
            "idp_sso_url": "https://login.microsoftonline.com/0000/saml2",
            "certificates": first.certificate_pem + "\n" + second.certificate_pem,
        },
    )

    assert response.status_code == 302
    assert IdpCertificate.objects.count() == 2


def test_manual_configuration_with_a_broken_certificate_is_refused(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.post(
        "/settings/sso/identity-provider/",
        {
            "idp_entity_id": "https://sts.windows.net/0000/",
            "idp_sso_url": "https://login.microsoftonline.com/0000/saml2",
            "certificates": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        },
    )

    assert response.status_code == 400
    assert not IdpCertificate.objects.exists()


def test_sso_cannot_be_switched_on_before_an_idp_is_configured(client, tenant, tenant_admin):
    client.force_login(tenant_admin)

    response = client.post("/settings/sso/options/", {"enabled": "on", "match_by": "name-id"})

    assert response.status_code == 400
    assert not SsoSettings.objects.get(tenant=tenant).is_enabled


def test_options_are_saved_and_audited(client, tenant, tenant_admin):
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=TestIdp().metadata_xml())
    client.force_login(tenant_admin)

    client.post(
        "/settings/sso/options/",
        {"enabled": "on", "idp_initiated": "on", "match_by": MatchBy.OBJECT_ID},
    )

    sso = SsoSettings.objects.get(tenant=tenant)
    assert sso.is_enabled
    assert sso.allows_idp_initiated
    assert not sso.requires_sso
    assert sso.match_by == MatchBy.OBJECT_ID
    assert AuditEvent.objects.get(action="sso.options").changes["enabled"] == [False, True]


def test_idp_initiated_is_off_by_default(tenant):
    assert not services.get_sso_settings(tenant).allows_idp_initiated


def test_certificate_expiring_within_30_days_is_warned_on_the_page_and_settings_home(
    client, tenant, tenant_admin
):
    idp = TestIdp(keys=[make_signing_key(valid_for=timedelta(days=20))])
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=idp.metadata_xml())
    client.force_login(tenant_admin)

    sso_page = client.get(SSO_PAGE).content.decode()
    home = client.get("/settings/").content.decode()

    assert "last signing certificate expires on" in sso_page
    assert "certificate expires" in home


def test_no_warning_while_a_certificate_has_more_than_30_days(client, tenant, tenant_admin):
    idp = TestIdp(
        keys=[
            make_signing_key("old", valid_for=timedelta(days=10)),
            make_signing_key("new", valid_for=timedelta(days=400)),
        ]
    )
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=idp.metadata_xml())
    client.force_login(tenant_admin)

    sso_page = client.get(SSO_PAGE).content.decode()
    home = client.get("/settings/").content.decode()

    assert "last signing certificate expires on" not in sso_page
    assert "certificate expires" not in home


def test_sign_in_page_shows_the_entra_button_once_sso_is_on(client, sso_on):
    response = client.get("/login/", HTTP_HOST="my-tenant.commbox.test")

    assert "Sign in with Microsoft Entra ID" in response.content.decode()


def test_sign_in_page_on_the_accounts_host_has_no_entra_button_while_sso_is_off(client, tenant):
    response = client.get("/login/", HTTP_HOST="my-tenant.commbox.test")

    assert "Sign in with Microsoft Entra ID" not in response.content.decode()


def test_sign_in_page_says_sso_is_required_and_keeps_the_admins_password_form(
    client, tenant, sso_on
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=True,
        match_by=MatchBy.NAME_ID,
    )

    page = client.get("/login/", HTTP_HOST="my-tenant.commbox.test").content.decode()

    assert "break-glass" in page
    assert 'name="password"' in page


def test_admin_keeps_break_glass_password_sign_in_when_sso_is_required(
    client, tenant, sso_on, tenant_admin
):
    from tests.factories import PASSWORD

    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=True,
        match_by=MatchBy.NAME_ID,
    )

    response = client.post(
        "/login/",
        {"subdomain": "my-tenant", "user_name": tenant_admin.user_name, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/settings/"


def test_start_page_sends_the_account_to_its_sign_on_url(client, sso_on):
    response = client.get("/sso/start/", {"account": "My-Tenant"})

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/sso/my-tenant/saml/login/"


def test_start_page_with_an_unknown_account_says_it_has_no_single_sign_on(client, db):
    response = client.get("/sso/start/", {"account": "nobody-here"})

    assert response.status_code == 404
    assert "No account with single sign-on has this subdomain." in response.content.decode()


def test_sign_on_url_answers_302_to_the_idp_with_a_saml_request(client, sso_on, test_idp):
    response = client.get("/sso/my-tenant/saml/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(test_idp.sso_url + "?SAMLRequest=")


def test_sign_on_url_while_sso_is_off_is_not_found(client, tenant):
    response = client.get("/sso/my-tenant/saml/login/")

    assert response.status_code == 404


def test_sign_on_url_of_another_account_on_an_accounts_host_is_404(client, sso_on):
    response = client.get("/sso/my-tenant/saml/login/", HTTP_HOST="other-tenant.commbox.test")

    assert response.status_code == 404


def test_sp_metadata_names_the_entity_id_and_the_acs(client, tenant):
    response = client.get("/sso/saml/metadata/", HTTP_HOST="my-tenant.commbox.test")

    xml = response.content.decode()
    assert response["Content-Type"] == "application/samlmetadata+xml"
    assert 'entityID="http://my-tenant.commbox.test/sso/saml/metadata/"' in xml
    assert 'Location="http://my-tenant.commbox.test/sso/saml/acs/"' in xml


def test_provisioning_page_shows_the_last_sign_in_attempts(
    client, tenant, tenant_admin, response_for, post_to_acs
):
    post_to_acs(response_for("stranger@contoso.com"))
    client.force_login(tenant_admin)

    page = client.get("/settings/api/provisioning/").content.decode()

    assert "Last sign-in attempts" in page
    assert "stranger@contoso.com" in page


def test_sso_page_shows_the_last_sign_in_attempts(
    client, tenant, tenant_admin, agent, response_for, post_to_acs
):
    post_to_acs(response_for(agent.user_name))
    client.force_login(tenant_admin)

    page = client.get(SSO_PAGE).content.decode()

    assert "signed in" in page
    assert agent.user_name in page


def test_activity_page_filters_sign_ins_by_channel_sso(
    client, tenant, tenant_admin, response_for, post_to_acs
):
    post_to_acs(response_for("stranger@contoso.com"))
    client.force_login(tenant_admin)

    response = client.get("/settings/activity/", {"channel": "sso"})

    assert [event.action for event in response.context["events"]] == ["sso.refused"]


# Signed AuthnRequests --------------------------------------------------------------------


def sign_requests(tenant, on: bool):
    return services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
        sign_requests=on,
    )


def test_requests_are_not_signed_by_default(tenant, sso_on, browser, sp):
    sso = SsoSettings.objects.get(tenant=tenant)

    response = browser.get(sp.sign_on_url)

    assert not sso.signs_requests
    assert "Signature=" not in response["Location"]


def test_switching_request_signing_on_makes_the_accounts_key_pair(tenant, sso_on):
    sso = sign_requests(tenant, True)

    assert sso.signs_requests
    assert "BEGIN PRIVATE KEY" in SsoSettings.objects.get(tenant=tenant).sp_private_key
    assert "BEGIN CERTIFICATE" in SsoSettings.objects.get(tenant=tenant).sp_certificate


def test_signing_switched_off_and_on_again_keeps_the_certificate_entra_has(tenant, sso_on):
    certificate = sign_requests(tenant, True).sp_certificate
    sign_requests(tenant, False)

    assert sign_requests(tenant, True).sp_certificate == certificate


def test_options_saved_without_the_signing_switch_keep_it_as_it_was(tenant, sso_on):
    sign_requests(tenant, True)

    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=True,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )

    assert SsoSettings.objects.get(tenant=tenant).signs_requests


def test_signing_switched_on_on_the_sso_page_is_audited(client, tenant, tenant_admin, sso_on):
    client.force_login(tenant_admin)

    client.post(
        "/settings/sso/options/",
        {"enabled": "on", "sign_requests": "on", "match_by": MatchBy.NAME_ID},
    )

    assert SsoSettings.objects.get(tenant=tenant).signs_requests
    event = AuditEvent.objects.filter(action="sso.options").latest("pk")
    assert event.changes == {"sign_requests": [False, True]}
    assert "PRIVATE KEY" not in str(event.changes)


def test_sign_on_url_sends_a_request_signed_with_the_published_certificate(
    tenant, sso_on, browser, sp
):
    sso = sign_requests(tenant, True)

    response = browser.get(sp.sign_on_url)

    assert response.status_code == 302
    assert redirect_signature_is_valid(response["Location"], sso.sp_certificate)


def test_sp_metadata_url_publishes_the_certificate_once_signing_is_on(tenant, sso_on, browser, sp):
    sso = sign_requests(tenant, True)

    response = browser.get(sp.metadata_url)

    body = "".join(sso.sp_certificate.splitlines()[1:-1])
    assert body in "".join(response.content.decode().split())
    assert 'AuthnRequestsSigned="true"' in response.content.decode()


def test_sso_page_offers_the_certificate_for_entra_once_signing_is_on(
    client, tenant, tenant_admin, sso_on
):
    sso = sign_requests(tenant, True)
    client.force_login(tenant_admin)

    page = client.get("/settings/sso/")
    download = client.get("/settings/sso/certificate.cer")

    assert 'href="/settings/sso/certificate.cer"' in page.content.decode()
    assert download.content.decode() == sso.sp_certificate
    assert "attachment" in download["Content-Disposition"]


def test_certificate_download_is_404_while_requests_are_not_signed(
    client, tenant, tenant_admin, sso_on
):
    client.force_login(tenant_admin)

    response = client.get("/settings/sso/certificate.cer")

    assert response.status_code == 404


def test_certificate_download_is_for_admins_only(client, tenant, agent, sso_on):
    sign_requests(tenant, True)
    client.force_login(agent)

    response = client.get("/settings/sso/certificate.cer")

    assert response.status_code == 403


# No subdomain enumeration: an account without single sign-on looks like no account at all


def test_start_page_answers_an_unknown_account_as_one_without_sso(
    client, tenant, django_assert_num_queries
):
    TenantFactory(subdomain="plain-tenant")  # exists, single sign-on never set up

    with django_assert_num_queries(1):
        unknown = client.get("/sso/start/", {"account": "ghost-tenant"})
    with django_assert_num_queries(1):
        without_sso = client.get("/sso/start/", {"account": "plain-tenant"})

    assert unknown.status_code == without_sso.status_code == 404
    assert unknown.content.decode().replace("ghost-tenant", "X") == (
        without_sso.content.decode().replace("plain-tenant", "X")
    )


def test_start_page_answers_an_account_whose_sso_is_switched_off_as_an_unknown_one(
    client, tenant, sso_on
):
    services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=False,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )

    switched_off = client.get("/sso/start/", {"account": "my-tenant"})
    unknown = client.get("/sso/start/", {"account": "no-tenant"})

    assert switched_off.status_code == unknown.status_code == 404
    assert switched_off.content.decode().replace("my-tenant", "X") == (
        unknown.content.decode().replace("no-tenant", "X")
    )


def test_sign_on_url_answers_an_unknown_account_as_one_without_sso(
    client, tenant, django_assert_num_queries
):
    with django_assert_num_queries(1):
        unknown = client.get("/sso/ghost-ten/saml/login/")
    with django_assert_num_queries(1):
        without_sso = client.get("/sso/my-tenant/saml/login/")

    assert unknown.status_code == without_sso.status_code == 404
    assert unknown.content == without_sso.content


# The sign-in page offers single sign-on only once the account is known to have it


def test_plain_sign_in_page_does_not_mention_sso_when_no_account_has_it(client, tenant):
    body = client.get("/login/").content.decode()

    assert "Microsoft Entra ID" not in body
    assert "single sign-on" not in body


def test_plain_sign_in_page_leads_with_the_password_form_and_links_to_find_the_account(
    client, sso_on
):
    body = client.get("/login/").content.decode()

    assert "Sign in with Microsoft Entra ID</a>" not in body
    assert "Enter its subdomain to sign in with Microsoft Entra ID" in body
    assert body.index('name="password"') < body.index("Enter its subdomain")


def test_sign_in_page_for_an_account_with_sso_leads_with_its_button(client, sso_on):
    body = client.get("/login/", {"account": "my-tenant"}).content.decode()

    assert "Sign in with Microsoft Entra ID</a>" in body
    assert body.index("Sign in with Microsoft Entra ID") < body.index('name="password"')
    assert "Enter its subdomain" not in body


def test_sign_in_page_for_an_unknown_account_looks_like_one_without_sso(client, tenant, sso_on):
    TenantFactory(subdomain="plain-tenant")

    unknown = client.get("/login/", {"account": "ghost-tenant"}).content.decode()
    without_sso = client.get("/login/", {"account": "plain-tenant"}).content.decode()

    assert "Microsoft Entra ID" not in without_sso
    assert _without_csrf(unknown.replace("ghost-tenant", "X")) == _without_csrf(
        without_sso.replace("plain-tenant", "X")
    )


def _without_csrf(body: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
