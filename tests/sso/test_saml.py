"""apps/sso/saml.py, the seam in front of the SAML toolkit, called directly."""

import dataclasses
import hashlib
import re
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from apps.sso import saml
from tests.sso.idp import (
    TestIdp,
    encode,
    make_signing_key,
    read_authn_request,
    redirect_signature_is_valid,
)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"

SP = saml.ServiceProvider(
    entity_id="https://my-tenant.commbox.test/sso/saml/metadata/",
    acs_url="https://my-tenant.commbox.test/sso/saml/acs/",
    sign_on_url="https://my-tenant.commbox.test/sso/saml/login/",
    metadata_url="https://my-tenant.commbox.test/sso/saml/metadata/",
)


def identity_provider(idp: TestIdp) -> saml.IdentityProvider:
    return saml.IdentityProvider(
        entity_id=idp.entity_id,
        sso_url=idp.sso_url,
        certificates=tuple(key.certificate_pem for key in idp.keys),
    )


def test_metadata_gives_identifier_login_url_and_every_signing_certificate(rollover_idp):
    parsed = saml.parse_idp_metadata(rollover_idp.metadata_xml())

    assert parsed.entity_id == rollover_idp.entity_id
    assert parsed.sso_url == rollover_idp.sso_url
    assert len(parsed.certificates) == 2


def test_metadata_without_a_signing_certificate_is_refused():
    xml = re.sub(r"<KeyDescriptor.*?</KeyDescriptor>", "", TestIdp().metadata_xml())

    with pytest.raises(ValueError, match="no signing certificate"):
        saml.parse_idp_metadata(xml)


def test_certificate_thumbprint_is_the_sha1_of_the_der_as_entra_shows_it():
    key = make_signing_key()
    certificate = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    der = certificate.public_bytes(serialization.Encoding.DER)

    info = saml.certificate_info(key.certificate_base64)

    assert info.thumbprint == hashlib.sha1(der).hexdigest().upper()  # noqa: S324


def test_authn_request_names_our_acs_and_entity_id(test_idp):
    url, request_id = saml.authn_request(SP, identity_provider(test_idp), relay_state="r-1")

    request = read_authn_request(url)
    assert request == {
        "id": request_id,
        "acs_url": SP.acs_url,
        "destination": test_idp.sso_url,
        "issuer": SP.entity_id,
        "relay_state": "r-1",
    }


def test_authn_request_is_unsigned_when_the_sp_has_no_key(test_idp):
    url, _ = saml.authn_request(SP, identity_provider(test_idp), relay_state="r-1")

    assert "Signature=" not in url
    assert "SigAlg=" not in url


def test_signed_authn_request_verifies_with_the_sp_certificate(test_idp):
    private_key, certificate = saml.new_key_pair("Commbox my-tenant SAML signing")
    sp = dataclasses.replace(
        SP, certificate=certificate, private_key=private_key, signs_authn_requests=True
    )

    url, _ = saml.authn_request(sp, identity_provider(test_idp), relay_state="r-1")

    assert redirect_signature_is_valid(url, certificate)


def test_signed_authn_request_does_not_verify_with_another_certificate(test_idp):
    private_key, _ = saml.new_key_pair("Commbox my-tenant SAML signing")
    _, other_certificate = saml.new_key_pair("someone else")
    sp = dataclasses.replace(
        SP, certificate=other_certificate, private_key=private_key, signs_authn_requests=True
    )

    url, _ = saml.authn_request(sp, identity_provider(test_idp), relay_state="r-1")

    assert not redirect_signature_is_valid(url, other_certificate)


def test_sp_metadata_publishes_the_signing_certificate_when_requests_are_signed():
    private_key, certificate = saml.new_key_pair("Commbox my-tenant SAML signing")
    sp = dataclasses.replace(
        SP, certificate=certificate, private_key=private_key, signs_authn_requests=True
    )

    root = etree.fromstring(saml.service_provider_metadata(sp).encode())

    descriptor = root.find(f"{{{MD}}}SPSSODescriptor")
    published = descriptor.findtext(
        f"{{{MD}}}KeyDescriptor[@use='signing']//{{{DS}}}X509Certificate"
    )
    assert descriptor.get("AuthnRequestsSigned") == "true"
    assert "".join(published.split()) == "".join(certificate.splitlines()[1:-1])


def test_authn_request_is_not_signed_while_signing_is_off_though_the_account_has_a_key(
    test_idp,
):
    private_key, certificate = saml.new_key_pair("Commbox my-tenant SAML signing")
    sp = dataclasses.replace(SP, certificate=certificate, private_key=private_key)

    url, _ = saml.authn_request(sp, identity_provider(test_idp), relay_state="r-1")

    assert "Signature=" not in url


def test_sp_metadata_has_no_certificate_when_the_account_has_no_key():
    root = etree.fromstring(saml.service_provider_metadata(SP).encode())

    descriptor = root.find(f"{{{MD}}}SPSSODescriptor")
    assert descriptor.get("AuthnRequestsSigned") == "false"
    assert descriptor.find(f"{{{MD}}}KeyDescriptor") is None


def test_new_key_pair_is_rsa_2048_with_a_sha256_certificate_for_ten_years():
    private_key, certificate = saml.new_key_pair("Commbox my-tenant SAML signing")

    key = serialization.load_pem_private_key(private_key.encode(), password=None)
    cert = x509.load_pem_x509_certificate(certificate.encode())
    assert key.key_size == 2048
    assert cert.signature_hash_algorithm.name == "sha256"
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 3650


def test_verified_response_gives_the_name_id_claims_and_assertion_id(test_idp):
    xml = test_idp.response_xml(
        acs_url=SP.acs_url, audience=SP.entity_id, name_id="agent@contoso.com", assertion_id="_a1"
    )

    identity = saml.verify_response(
        SP,
        identity_provider(test_idp),
        saml_response=encode(xml),
        received_at_url=SP.acs_url,
        request_id=None,
        clock_skew=timedelta(minutes=2),
    )

    assert identity.name_id == "agent@contoso.com"
    assert identity.assertion_id == "_a1"
    assert identity.issuer == test_idp.entity_id
    assert identity.attributes["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] == [
        "agent@contoso.com"
    ]


def test_response_received_at_another_url_is_refused_as_destination(test_idp):
    xml = test_idp.response_xml(acs_url=SP.acs_url, audience=SP.entity_id, name_id="a@contoso.com")

    with pytest.raises(saml.Refused) as refusal:
        saml.verify_response(
            SP,
            identity_provider(test_idp),
            saml_response=encode(xml),
            received_at_url="https://other-tenant.commbox.test/sso/saml/acs/",
            request_id=None,
            clock_skew=timedelta(minutes=2),
        )

    assert refusal.value.check == "destination"
