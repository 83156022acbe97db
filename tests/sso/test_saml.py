"""apps/sso/saml.py, the seam in front of the SAML toolkit, called directly."""

import hashlib
import re
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from apps.sso import saml
from tests.sso.idp import TestIdp, encode, make_signing_key, read_authn_request

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
