"""configure_sso and sso_info: the automation contract."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent, Channel
from apps.sso.models import MatchBy, SsoSettings
from tests.sso.idp import TestIdp


@pytest.fixture
def metadata_file(tmp_path, test_idp):
    path = tmp_path / "federationmetadata.xml"
    path.write_text(test_idp.metadata_xml())
    return path


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_configure_sso_from_a_file_enables_sso(tenant, metadata_file, test_idp):
    output = run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--enable")

    sso = SsoSettings.objects.get(tenant=tenant)
    assert sso.is_enabled
    assert sso.idp_entity_id == test_idp.entity_id
    assert "enabled" in output


def test_configure_sso_sets_every_switch(tenant, metadata_file):
    run(
        "configure_sso",
        "my-tenant",
        "--idp-metadata",
        str(metadata_file),
        "--match",
        "object-id",
        "--idp-initiated",
        "on",
        "--require-sso",
        "on",
        "--enable",
    )

    sso = SsoSettings.objects.get(tenant=tenant)
    assert sso.match_by == MatchBy.OBJECT_ID
    assert sso.allows_idp_initiated
    assert sso.requires_sso


def test_configure_sso_keeps_switches_it_is_not_given(tenant, metadata_file):
    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--enable")

    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file))

    assert SsoSettings.objects.get(tenant=tenant).is_enabled


def test_configure_sso_disable_switches_it_off(tenant, metadata_file):
    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--enable")

    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--disable")

    assert not SsoSettings.objects.get(tenant=tenant).is_enabled


def test_configure_sso_reads_a_metadata_url(tenant, metadata_server):
    idp = TestIdp()
    metadata_server.body = idp.metadata_xml().encode()

    run("configure_sso", "my-tenant", "--idp-metadata", metadata_server.url, "--enable")

    sso = SsoSettings.objects.get(tenant=tenant)
    assert sso.metadata_url == metadata_server.url
    assert sso.idp_entity_id == idp.entity_id


def test_configure_sso_is_audited_as_a_command(tenant, metadata_file):
    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--enable")

    channels = set(AuditEvent.objects.for_tenant(tenant).values_list("channel", flat=True))
    assert channels == {Channel.COMMAND}


def test_configure_sso_for_an_unknown_subdomain_fails_with_one_line(db, metadata_file):
    with pytest.raises(CommandError, match='No tenant has the subdomain "nope"'):
        run("configure_sso", "nope", "--idp-metadata", str(metadata_file))


def test_configure_sso_with_a_missing_file_fails_with_one_line(tenant):
    with pytest.raises(CommandError, match="neither a file nor an http"):
        run("configure_sso", "my-tenant", "--idp-metadata", "/no/such/file.xml")


def test_configure_sso_with_a_file_that_is_not_metadata_fails(tenant, tmp_path):
    path = tmp_path / "x.xml"
    path.write_text("<x/>")

    with pytest.raises(CommandError, match="names no identity provider"):
        run("configure_sso", "my-tenant", "--idp-metadata", str(path))


def test_configure_sso_with_a_bad_switch_value_changes_nothing(tenant, metadata_file):
    with pytest.raises(CommandError, match='Expected "on" or "off", not "maybe"'):
        run(
            "configure_sso",
            "my-tenant",
            "--idp-metadata",
            str(metadata_file),
            "--idp-initiated",
            "maybe",
        )

    assert not SsoSettings.objects.filter(tenant=tenant, idp_entity_id__gt="").exists()


def test_configure_sso_with_an_unreachable_url_fails_with_one_line(tenant, settings):
    settings.SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = True  # reach 127.0.0.1:9, where none listens

    with pytest.raises(CommandError, match="could not be read"):
        run("configure_sso", "my-tenant", "--idp-metadata", "http://127.0.0.1:9/metadata.xml")


def test_configure_sso_refuses_a_metadata_url_on_a_private_address(tenant, settings):
    settings.SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(CommandError, match='host "10.0.0.5" is a loopback, private'):
        run("configure_sso", "my-tenant", "--idp-metadata", "http://10.0.0.5/metadata.xml")


def test_configure_sso_sign_requests_on_makes_the_key_pair(tenant, metadata_file):
    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--sign-requests", "on")

    assert SsoSettings.objects.get(tenant=tenant).signs_requests


def test_configure_sso_without_sign_requests_keeps_signing_as_it_was(tenant, metadata_file):
    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--sign-requests", "on")

    run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--enable")

    assert SsoSettings.objects.get(tenant=tenant).signs_requests


def test_sso_info_prints_one_json_object(tenant):
    output = run("sso_info", "my-tenant", "--base-url", "https://my-tenant.commbox.test")

    assert json.loads(output) == {
        "entity_id": "https://my-tenant.commbox.test/sso/saml/metadata/",
        "acs_url": "https://my-tenant.commbox.test/sso/saml/acs/",
        "sign_on_url": "https://my-tenant.commbox.test/sso/saml/login/",
        "metadata_url": "https://my-tenant.commbox.test/sso/saml/metadata/",
        "logout_url": "https://my-tenant.commbox.test/sso/saml/slo/",
    }


def test_sso_info_on_a_plain_host_names_the_account_in_the_paths(tenant):
    output = run("sso_info", "my-tenant", "--base-url", "http://127.0.0.1:8200/")

    assert json.loads(output)["acs_url"] == "http://127.0.0.1:8200/sso/my-tenant/saml/acs/"


def test_sso_info_with_a_bad_base_url_fails_with_one_line(tenant):
    with pytest.raises(CommandError, match="The base URL must be like"):
        run("sso_info", "my-tenant", "--base-url", "commbox.test/path")


def test_sso_info_for_an_unknown_subdomain_fails(db):
    with pytest.raises(CommandError, match="No tenant has the subdomain"):
        run("sso_info", "nope", "--base-url", "https://commbox.test")


def test_configure_sso_with_an_unknown_match_fails_with_one_line(tenant, metadata_file):
    with pytest.raises(
        CommandError, match='--match must be name-id, email or object-id, not "upn"'
    ):
        run("configure_sso", "my-tenant", "--idp-metadata", str(metadata_file), "--match", "upn")


def test_sso_info_with_another_accounts_address_fails_with_one_line(tenant):
    with pytest.raises(CommandError, match="is the address of the account other-tenant"):
        run("sso_info", "my-tenant", "--base-url", "https://other-tenant.commbox.test")
