"""The SAML 2.0 toolkit behind one seam: an account's settings in, an identity or a refusal out.

Everything that knows python3-saml (OneLogin's toolkit) is in this module, so the library
can be swapped without touching views or services. The toolkit is imported inside the
functions: when lxml and xmlsec disagree on libxml2, importing it fails, and the system
check in apps/sso/checks.py must still get to say so clearly.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NS_ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
NAME_ID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


@dataclass(frozen=True)
class ServiceProvider:
    """Our side, for one account at one base URL."""

    entity_id: str
    acs_url: str
    sign_on_url: str
    metadata_url: str
    # The single logout service (LogoutRequests and LogoutResponses, both bindings).
    slo_url: str = ""
    # The account's key pair, PEM, when it has one: logout messages are signed with it, and
    # AuthnRequests too when signs_authn_requests.
    certificate: str = ""
    private_key: str = ""
    signs_authn_requests: bool = False


@dataclass(frozen=True)
class IdentityProvider:
    """The account's IdP: Entra's Identifier, its Login URL and every signing certificate (PEM)."""

    entity_id: str
    sso_url: str
    certificates: tuple[str, ...]
    # Its logout service (HTTP-Redirect binding), or "" when it has none.
    slo_url: str = ""


@dataclass(frozen=True)
class Identity:
    """What a verified response says about the person signing in."""

    issuer: str
    name_id: str
    name_id_format: str
    attributes: dict[str, list[str]]
    assertion_id: str
    in_response_to: str | None
    not_on_or_after: datetime | None
    session_index: str = ""


@dataclass(frozen=True)
class Received:
    """What a response claims before (or without) verification, for refusals and test reports."""

    issuer: str = ""
    name_id: str = ""
    in_response_to: str | None = None
    destination: str = ""
    audiences: tuple[str, ...] = ()
    attributes: dict[str, list[str]] = field(default_factory=dict)


class Refused(Exception):
    """The response is not accepted; `check` names the check that failed, the message says why."""

    def __init__(self, check: str, reason: str):
        super().__init__(reason)
        self.check = check
        self.reason = reason


@dataclass(frozen=True)
class CertificateInfo:
    pem: str
    thumbprint: str  # SHA-1 of the DER, upper-case hex, as the Entra portal shows it
    sha256: str
    subject: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str
    certificates: tuple[str, ...]
    slo_url: str = ""


# The toolkit's error codes, grouped into the checks the SSO page and the audit trail name.
_CHECK_OF_CODE = {
    "INVALID_SIGNATURE": "signature",
    "NO_SIGNATURE_FOUND": "signature",
    "NO_SIGNED_ASSERTION": "signature",
    "NO_SIGNED_MESSAGE": "signature",
    "DEPRECATED_SIGNATURE_METHOD": "signature",
    "DEPRECATED_DIGEST_METHOD": "signature",
    "WRONG_SIGNED_ELEMENT": "signature",
    "ID_NOT_FOUND_IN_SIGNED_ELEMENT": "signature",
    "DUPLICATED_ID_IN_SIGNED_ELEMENTS": "signature",
    "INVALID_SIGNED_ELEMENT": "signature",
    "DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS": "signature",
    "UNEXPECTED_SIGNED_ELEMENTS": "signature",
    "WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE": "signature",
    "WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION": "signature",
    # A second (forged or hidden) assertion is how signature wrapping starts.
    "WRONG_NUMBER_OF_ASSERTIONS": "signature",
    "WRONG_ISSUER": "issuer",
    "ISSUER_MULTIPLE_IN_RESPONSE": "issuer",
    "ISSUER_NOT_FOUND_IN_ASSERTION": "issuer",
    "WRONG_AUDIENCE": "audience",
    "WRONG_DESTINATION": "destination",
    "EMPTY_DESTINATION": "destination",
    "WRONG_SUBJECTCONFIRMATION": "recipient",
    "ASSERTION_TOO_EARLY": "time",
    "ASSERTION_EXPIRED": "time",
    "SESSION_EXPIRED": "time",
    "WRONG_INRESPONSETO": "in-response-to",
    "STATUS_CODE_IS_NOT_SUCCESS": "status",
}


def certificate_info(pem_or_base64: str) -> CertificateInfo:
    """Thumbprint, subject and validity of a certificate given as PEM or bare base64."""
    pem = normalize_certificate(pem_or_base64)
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError as error:
        raise ValueError("This is not an X.509 certificate in PEM or base64 form.") from error
    der = certificate.public_bytes(serialization.Encoding.DER)
    return CertificateInfo(
        pem=pem,
        thumbprint=hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
        sha256=hashlib.sha256(der).hexdigest().upper(),
        subject=certificate.subject.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def normalize_certificate(text: str) -> str:
    """A PEM certificate from PEM or from the bare base64 that metadata carries."""
    body = "".join(
        line.strip() for line in text.strip().splitlines() if line.strip() and "-----" not in line
    )
    body = "".join(body.split())
    try:
        base64.b64decode(body, validate=True)
    except ValueError as error:
        raise ValueError("This is not an X.509 certificate in PEM or base64 form.") from error
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def parse_idp_metadata(xml: str | bytes) -> IdpMetadata:
    """Entra's Federation Metadata XML → Identifier, Login URL (Redirect binding), signing certs."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            xml,
            required_sso_binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        )
    except Exception as error:  # noqa: BLE001 - the parser raises bare Exceptions for bad XML
        raise ValueError(f"The metadata is not a SAML metadata document ({error}).") from error
    idp = parsed.get("idp") or {}
    certificates = _signing_certificates(idp)
    entity_id = idp.get("entityId") or ""
    sso_url = (idp.get("singleSignOnService") or {}).get("url") or ""
    if not entity_id or not sso_url:
        raise ValueError(
            "The metadata names no identity provider with a sign-on URL (HTTP-Redirect binding)."
        )
    if not certificates:
        raise ValueError("The metadata lists no signing certificate.")
    return IdpMetadata(
        entity_id=entity_id,
        sso_url=sso_url,
        certificates=tuple(normalize_certificate(c) for c in dict.fromkeys(certificates)),
        slo_url=(idp.get("singleLogoutService") or {}).get("url") or "",
    )


def _signing_certificates(idp: dict) -> list[str]:
    """The toolkit's parse gives several signing certificates, or one alone."""
    certificates = list((idp.get("x509certMulti") or {}).get("signing") or [])
    if not certificates and idp.get("x509cert"):
        certificates = [idp["x509cert"]]
    return certificates


def _toolkit_settings(sp: ServiceProvider, idp: IdentityProvider):
    from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": sp.entity_id,
                "assertionConsumerService": {"url": sp.acs_url, "binding": C.BINDING_HTTP_POST},
                "NameIDFormat": NAME_ID_UNSPECIFIED,
                "x509cert": sp.certificate,
                "privateKey": sp.private_key,
            },
            "idp": {
                "entityId": idp.entity_id,
                "singleSignOnService": {"url": idp.sso_url, "binding": C.BINDING_HTTP_REDIRECT},
                "singleLogoutService": {"url": idp.slo_url, "binding": C.BINDING_HTTP_REDIRECT},
                "x509certMulti": {"signing": list(idp.certificates)},
            },
            "security": {
                "authnRequestsSigned": sp.signs_authn_requests and bool(sp.private_key),
                # Entra signs the assertion by default, or the response, or both: either is
                # enough, and the toolkit refuses a response with neither.
                "wantAssertionsSigned": False,
                "wantMessagesSigned": False,
                "wantNameId": True,
                "wantAttributeStatement": False,
                "requestedAuthnContext": False,
                "rejectDeprecatedAlgorithm": True,
                # Hosts are Django's ALLOWED_HOSTS already; "testserver" or "intranet" are fine.
                "allowSingleLabelDomains": True,
                "signatureAlgorithm": C.RSA_SHA256,
                "digestAlgorithm": C.SHA256,
            },
        },
        sp_validation_only=True,
    )


def service_provider_metadata(sp: ServiceProvider) -> str:
    """Our metadata XML, for Entra's "Upload metadata file": the ACS, the logout service in
    both bindings, and our signing certificate when the account has one."""
    from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
    from onelogin.saml2.metadata import OneLogin_Saml2_Metadata

    description = {
        "entityId": sp.entity_id,
        "assertionConsumerService": {"url": sp.acs_url, "binding": C.BINDING_HTTP_POST},
        "NameIDFormat": NAME_ID_UNSPECIFIED,
    }
    if sp.slo_url:
        description["singleLogoutService"] = {"url": sp.slo_url, "binding": C.BINDING_HTTP_REDIRECT}
    metadata = OneLogin_Saml2_Metadata.builder(
        description, authnsign=sp.signs_authn_requests and bool(sp.certificate), wsign=True
    )
    metadata = metadata.decode() if isinstance(metadata, bytes) else metadata
    if sp.slo_url:
        # The builder writes one binding; the same service also takes HTTP-POST.
        redirect = f'Binding="{C.BINDING_HTTP_REDIRECT}"'
        start = metadata.index("<md:SingleLogoutService")
        end = metadata.index("/>", start) + 2
        element = metadata[start:end]
        post = element.replace(redirect, f'Binding="{C.BINDING_HTTP_POST}"')
        metadata = metadata[:end] + "\n        " + post + metadata[end:]
    if sp.certificate:
        metadata = OneLogin_Saml2_Metadata.add_x509_key_descriptors(
            metadata, normalize_certificate(sp.certificate), add_encryption=False
        )
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def authn_request(
    sp: ServiceProvider, idp: IdentityProvider, *, relay_state: str
) -> tuple[str, str]:
    """(URL to redirect the browser to, the AuthnRequest's ID), HTTP-Redirect binding.

    Signed (SigAlg rsa-sha256 and Signature query parameters) when the SP has a key.
    """
    from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    request = OneLogin_Saml2_Authn_Request(_toolkit_settings(sp, idp))
    parameters = {"SAMLRequest": request.get_request(), "RelayState": relay_state}
    if sp.signs_authn_requests and sp.private_key:
        parameters.update(_redirect_signature(sp, parameters))
    return OneLogin_Saml2_Utils.redirect(idp.sso_url, parameters), request.get_id()


def _redirect_signature(sp: ServiceProvider, parameters: dict[str, str]) -> dict[str, str]:
    """SigAlg and Signature of the HTTP-Redirect binding (SAML bindings 3.4.4.1), for the
    SAMLRequest or SAMLResponse in `parameters`."""
    import xmlsec
    from onelogin.saml2.auth import OneLogin_Saml2_Auth
    from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    saml_type = "SAMLRequest" if "SAMLRequest" in parameters else "SAMLResponse"
    signed_query = OneLogin_Saml2_Auth._build_sign_query(
        parameters[saml_type], parameters.get("RelayState"), C.RSA_SHA256, saml_type
    )
    signature = OneLogin_Saml2_Utils.sign_binary(
        signed_query, sp.private_key, xmlsec.constants.TransformRsaSha256
    )
    return {"SigAlg": C.RSA_SHA256, "Signature": OneLogin_Saml2_Utils.b64encode(signature)}


def new_key_pair(common_name: str) -> tuple[str, str]:
    """(private key, self-signed certificate), PEM: RSA 2048, SHA-256, valid 10 years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def read_unverified(saml_response: str) -> Received:
    """What the response claims, read without trusting it: for lookups and reports only."""
    from onelogin.saml2.utils import OneLogin_Saml2_Utils
    from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

    try:
        document = OneLogin_Saml2_XML.to_etree(OneLogin_Saml2_Utils.b64decode(saml_response))
    except Exception:  # noqa: BLE001 - base64 or XML garbage: nothing to report
        return Received()
    ns = {"saml": NS_ASSERTION, "samlp": "urn:oasis:names:tc:SAML:2.0:protocol"}

    def texts(xpath: str) -> list[str]:
        return [
            (node.xpath("string()") or "").strip() for node in document.xpath(xpath, namespaces=ns)
        ]

    attributes: dict[str, list[str]] = {}
    for node in document.xpath(
        "//saml:Assertion/saml:AttributeStatement/saml:Attribute", namespaces=ns
    ):
        values = [
            (v.xpath("string()") or "").strip()
            for v in node.xpath("saml:AttributeValue", namespaces=ns)
        ]
        attributes.setdefault(node.get("Name", ""), []).extend(values)
    issuers = texts("/samlp:Response/saml:Issuer | //saml:Assertion/saml:Issuer")
    name_ids = texts("//saml:Assertion/saml:Subject/saml:NameID")
    return Received(
        issuer=issuers[0] if issuers else "",
        name_id=name_ids[0] if name_ids else "",
        in_response_to=document.get("InResponseTo") if document.tag.endswith("Response") else None,
        destination=document.get("Destination", ""),
        audiences=tuple(
            texts("//saml:Assertion/saml:Conditions/saml:AudienceRestriction/saml:Audience")
        ),
        attributes=attributes,
    )


def verify_response(
    sp: ServiceProvider,
    idp: IdentityProvider,
    *,
    saml_response: str,
    received_at_url: str,
    request_id: str | None,
    clock_skew: timedelta,
    now: datetime | None = None,
) -> Identity:
    """Check everything the toolkit's strict mode checks, plus our clock skew; or raise Refused.

    `received_at_url` is the URL the POST arrived at (Destination and Recipient must name it);
    `request_id` the AuthnRequest this server sent, or None for an IdP-initiated response.
    """
    from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
    from onelogin.saml2.response import OneLogin_Saml2_Response

    url = urlsplit(received_at_url)
    request_data = {
        "https": "on" if url.scheme == "https" else "off",
        "http_host": url.netloc,
        "script_name": url.path,
        "post_data": {"SAMLResponse": saml_response},
    }
    try:
        response = OneLogin_Saml2_Response(_toolkit_settings(sp, idp), saml_response)
    except Exception as error:  # noqa: BLE001 - the toolkit raises bare errors for garbage
        raise Refused("format", "The SAMLResponse is not a readable SAML response.") from error
    try:
        response.is_valid(request_data, request_id=request_id, raise_exceptions=True)
        identity = Identity(
            issuer=response.get_issuers()[0],
            name_id=response.get_nameid() or "",
            name_id_format=response.get_nameid_format() or "",
            attributes=response.get_attributes(),
            assertion_id=response.get_assertion_id() or "",
            in_response_to=response.get_in_response_to(),
            not_on_or_after=_conditions_not_on_or_after(response),
            session_index=response.get_session_index() or "",
        )
    except OneLogin_Saml2_ValidationError as error:
        raise Refused(_check_of(error), str(error)) from error
    except (OneLogin_Saml2_Error, ValueError) as error:
        raise Refused("format", str(error)) from error
    if request_id is not None and identity.in_response_to != request_id:
        raise Refused("in-response-to", "The response does not answer the request it claims to.")
    _check_time(response, clock_skew=clock_skew, now=now or datetime.now(UTC))
    return identity


def _check_of(error) -> str:
    for name, check in _CHECK_OF_CODE.items():
        if getattr(type(error), name, None) == error.code:
            return check
    return "format"


def _conditions_not_on_or_after(response) -> datetime | None:
    nodes = response._query_assertion("/saml:Conditions")
    value = nodes[0].get("NotOnOrAfter") if nodes else None
    return _parse_time(value) if value else None


def _check_time(response, *, clock_skew: timedelta, now: datetime) -> None:
    """The toolkit allows a fixed five minutes of drift; hold the response to our own skew."""
    for node in response._query_assertion("/saml:Conditions"):
        not_before, not_on_or_after = node.get("NotBefore"), node.get("NotOnOrAfter")
        if not_before and _parse_time(not_before) > now + clock_skew:
            raise Refused("time", "The assertion is not yet valid (NotBefore is in the future).")
        if not_on_or_after and _parse_time(not_on_or_after) + clock_skew <= now:
            raise Refused("time", "The assertion has expired (NotOnOrAfter has passed).")


def _parse_time(value: str) -> datetime:
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    return datetime.fromtimestamp(OneLogin_Saml2_Utils.parse_SAML_to_time(value), tz=UTC)


# Single logout -----------------------------------------------------------------------------

NS_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
# A logout message is acted on within this long of its IssueInstant (plus the clock skew):
# it is a browser redirect, seconds old when it arrives.
LOGOUT_MESSAGE_LIFETIME = timedelta(minutes=5)
# Signature algorithms of the HTTP-Redirect binding that are accepted (SHA-1 is not).
_REDIRECT_ALGORITHMS = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}


@dataclass(frozen=True)
class LogoutMessage:
    """A LogoutRequest or LogoutResponse as it arrived, read before any check."""

    kind: str  # "LogoutRequest" or "LogoutResponse"
    message_id: str
    issuer: str
    destination: str
    issue_instant: datetime | None
    not_on_or_after: datetime | None = None
    name_id: str = ""
    name_id_format: str = ""
    session_indexes: tuple[str, ...] = ()
    in_response_to: str = ""
    status: str = ""


@dataclass(frozen=True)
class LogoutBinding:
    """How the message came: "redirect" (query string, raw as sent) or "post" (form)."""

    name: str
    parameters: dict[str, str]
    raw_query: str = ""

    @property
    def saml_type(self) -> str:
        return "SAMLRequest" if "SAMLRequest" in self.parameters else "SAMLResponse"


def read_logout_message(binding: LogoutBinding) -> tuple[LogoutMessage, str]:
    """The message and its XML, or Refused("format") for anything that is not one."""
    from onelogin.saml2.utils import OneLogin_Saml2_Utils
    from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

    encoded = binding.parameters.get(binding.saml_type, "")
    try:
        if binding.name == "redirect":
            xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(encoded)
        else:
            xml = OneLogin_Saml2_Utils.b64decode(encoded)
        root = OneLogin_Saml2_XML.to_etree(xml)
    except Exception as error:  # noqa: BLE001 - base64, zlib or XML garbage
        raise Refused("format", "The logout message could not be decoded.") from error
    kind = root.tag.rsplit("}", 1)[-1]
    expected = "LogoutRequest" if binding.saml_type == "SAMLRequest" else "LogoutResponse"
    if root.tag != f"{{{NS_PROTOCOL}}}{expected}" or not root.get("ID"):
        raise Refused("format", f"The {binding.saml_type} is not a SAML {expected} with an ID.")
    if isinstance(OneLogin_Saml2_XML.validate_xml(root, "saml-schema-protocol-2.0.xsd"), str):
        raise Refused("format", f"The {expected} does not follow the SAML 2.0 schema.")
    return _logout_message(kind, root), OneLogin_Saml2_XML.to_string(root).decode()


def _logout_message(kind: str, root) -> LogoutMessage:
    ns = {"saml": NS_ASSERTION, "samlp": NS_PROTOCOL}

    def first(xpath: str):
        nodes = root.xpath(xpath, namespaces=ns)
        return nodes[0] if nodes else None

    def time_of(name: str) -> datetime | None:
        value = root.get(name)
        return _parse_time(value) if value else None

    issuer, name_id = first("saml:Issuer"), first("saml:NameID")
    status = first("samlp:Status/samlp:StatusCode")
    return LogoutMessage(
        kind=kind,
        message_id=root.get("ID", ""),
        issuer=(issuer.text or "").strip() if issuer is not None else "",
        destination=root.get("Destination", ""),
        issue_instant=time_of("IssueInstant"),
        not_on_or_after=time_of("NotOnOrAfter"),
        name_id=(name_id.text or "").strip() if name_id is not None else "",
        name_id_format=name_id.get("Format", "") if name_id is not None else "",
        session_indexes=tuple(
            (node.text or "").strip() for node in root.xpath("samlp:SessionIndex", namespaces=ns)
        ),
        in_response_to=root.get("InResponseTo", ""),
        status=status.get("Value", "") if status is not None else "",
    )


def logout_is_signed(idp: IdentityProvider, binding: LogoutBinding, xml: str) -> bool:
    """True when a signature by one of the IdP's certificates covers the message, False when
    it carries none; Refused("signature") when it carries one that does not verify."""
    if binding.name == "redirect":
        return _redirect_signed(idp, binding)
    return _post_signed(idp, xml)


def _redirect_signed(idp: IdentityProvider, binding: LogoutBinding) -> bool:
    """SAML bindings 3.4.4.1: the signature covers the parameters exactly as they were sent."""
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    signature, algorithm = binding.parameters.get("Signature"), binding.parameters.get("SigAlg")
    if not signature:
        return False
    if algorithm not in _REDIRECT_ALGORITHMS:
        raise Refused("signature", "The logout message is signed with a refused algorithm.")
    parts = binding.raw_query.split("&")
    names = (f"{binding.saml_type}=", "RelayState=", "SigAlg=")
    signed = "&".join(part for name in names for part in parts if part.startswith(name))
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
    except ValueError as error:
        raise Refused("signature", "The logout message's signature is not base64.") from error
    for certificate in idp.certificates:
        if OneLogin_Saml2_Utils.validate_binary_sign(
            signed, signature_bytes, certificate, algorithm
        ):
            return True
    raise Refused("signature", "The logout message's signature does not verify.")


def _post_signed(idp: IdentityProvider, xml: str) -> bool:
    """An enveloped signature of the message itself (its root, by ID), by one certificate."""
    from onelogin.saml2.utils import OneLogin_Saml2_Utils
    from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

    root = OneLogin_Saml2_XML.to_etree(xml)
    kind = root.tag.rsplit("}", 1)[-1]
    signatures = OneLogin_Saml2_XML.query(root, f"/samlp:{kind}/ds:Signature")
    if not signatures and not OneLogin_Saml2_XML.query(root, "//ds:Signature"):
        return False
    references = OneLogin_Saml2_XML.query(
        root, f"/samlp:{kind}/ds:Signature/ds:SignedInfo/ds:Reference"
    )
    method = OneLogin_Saml2_XML.query(
        root, f"/samlp:{kind}/ds:Signature/ds:SignedInfo/ds:SignatureMethod"
    )
    if (
        len(signatures) != 1
        or len(references) != 1
        or references[0].get("URI") != f"#{root.get('ID')}"
        or not method
        or method[0].get("Algorithm") not in _REDIRECT_ALGORITHMS
    ):
        raise Refused("signature", "The logout message's signature does not cover it.")
    # validate_sign answers False for a signature that does not verify (it raises only
    # when asked to).
    if not OneLogin_Saml2_Utils.validate_sign(
        xml, xpath=f"/samlp:{kind}/ds:Signature", multicerts=list(idp.certificates)
    ):
        raise Refused("signature", "The logout message's signature does not verify.")
    return True


def check_logout_message(
    sp: ServiceProvider,
    idp: IdentityProvider,
    message: LogoutMessage,
    *,
    received_at_url: str,
    clock_skew: timedelta,
    now: datetime | None = None,
) -> None:
    """Issuer, Destination and time of a logout message; Refused names the failed check."""
    now = now or datetime.now(UTC)
    if message.issuer != idp.entity_id:
        raise Refused(
            "issuer", "The logout message's Issuer is not this account's identity provider."
        )
    if message.destination and message.destination != received_at_url:
        raise Refused("destination", "The logout message is addressed to another URL.")
    if message.issue_instant is None:
        raise Refused("format", "The logout message has no IssueInstant.")
    if message.issue_instant > now + clock_skew:
        raise Refused("time", "The logout message is not valid yet (IssueInstant is ahead).")
    too_old = message.issue_instant + LOGOUT_MESSAGE_LIFETIME + clock_skew <= now
    expired = message.not_on_or_after and message.not_on_or_after + clock_skew <= now
    if too_old or expired:
        raise Refused("time", "The logout message has expired.")


def logout_request(
    sp: ServiceProvider,
    idp: IdentityProvider,
    *,
    name_id: str,
    name_id_format: str,
    session_index: str,
) -> tuple[str, str]:
    """(URL to redirect the browser to, the LogoutRequest's ID): signed, HTTP-Redirect."""
    from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    request = OneLogin_Saml2_Logout_Request(
        _toolkit_settings(sp, idp),
        name_id=name_id,
        # The toolkit writes the SessionIndex into the XML as it is given.
        session_index=escape(session_index) if session_index else None,
        name_id_format=name_id_format or None,
    )
    parameters = {"SAMLRequest": request.get_request()}
    parameters.update(_redirect_signature(sp, parameters))
    return OneLogin_Saml2_Utils.redirect(idp.slo_url, parameters), request.id


def logout_response(
    sp: ServiceProvider, idp: IdentityProvider, *, in_response_to: str, relay_state: str
) -> str:
    """The URL that carries our signed LogoutResponse (Success) to the IdP, HTTP-Redirect."""
    from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    response = OneLogin_Saml2_Logout_Response(_toolkit_settings(sp, idp))
    response.build(escape(in_response_to, {'"': "&quot;"}))
    parameters = {"SAMLResponse": response.get_response()}
    if relay_state:
        parameters["RelayState"] = relay_state
    parameters.update(_redirect_signature(sp, parameters))
    return OneLogin_Saml2_Utils.redirect(idp.slo_url, parameters)
