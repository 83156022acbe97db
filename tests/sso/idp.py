"""A test identity provider shaped like Microsoft Entra ID: real keys, real signatures.

Keys and certificates are generated at import-free call time with cryptography; responses
are built as Entra builds them (default-namespace Assertion, Issuer https://sts.windows.net/
<tenant-id>/, the default claims) and signed with xmlsec through python3-saml's add_sign.
Used by the tests and by scripts/test-idp (a tiny IdP served over HTTP for manual runs).
"""

from __future__ import annotations

import base64
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"
DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"


@dataclass(frozen=True)
class SigningKey:
    private_key_pem: str
    certificate_pem: str

    @property
    def certificate_base64(self) -> str:
        return "".join(
            line for line in self.certificate_pem.splitlines() if "-----" not in line
        ).strip()


def make_signing_key(
    common_name: str = "Microsoft Azure Federated SSO Certificate",
    *,
    valid_for: timedelta = timedelta(days=3 * 365),
    key_size: int = 2048,
) -> SigningKey:
    """An RSA key and a self-signed certificate, as Entra's SAML Certificates holds."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + valid_for)
        .sign(key, hashes.SHA256())
    )
    return SigningKey(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class TestIdp:
    """One Entra tenant's enterprise application, as seen by a service provider."""

    __test__ = False  # not a pytest test class

    keys: list[SigningKey] = field(default_factory=lambda: [make_signing_key()])
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    sso_url: str = ""

    def __post_init__(self):
        if not self.sso_url:
            self.sso_url = f"https://login.microsoftonline.com/{self.tenant_id}/saml2"

    @property
    def entity_id(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    def metadata_xml(self) -> str:
        """Federation Metadata XML as Entra serves it: every signing certificate listed."""
        key_descriptors = "".join(
            f'<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">'
            f"<X509Data><X509Certificate>{key.certificate_base64}</X509Certificate></X509Data>"
            f"</KeyInfo></KeyDescriptor>"
            for key in self.keys
        )
        sso_url = escape(self.sso_url, {'"': "&quot;"})
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<EntityDescriptor ID="_{uuid.uuid4()}" entityID="{self.entity_id}" '
            'xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f"{key_descriptors}"
            f'<SingleLogoutService Binding="{C.BINDING_HTTP_REDIRECT}" Location="{sso_url}"/>'
            f'<SingleSignOnService Binding="{C.BINDING_HTTP_REDIRECT}" Location="{sso_url}"/>'
            f'<SingleSignOnService Binding="{C.BINDING_HTTP_POST}" Location="{sso_url}"/>'
            "</IDPSSODescriptor></EntityDescriptor>"
        )

    def claims_for(self, user_name: str, *, object_id: str = "", email: str = "") -> dict:
        return {
            TENANT_ID: [self.tenant_id],
            OBJECT_ID: [object_id or str(uuid.uuid4())],
            DISPLAY_NAME: [user_name.split("@")[0]],
            EMAIL: [email or user_name],
            NAME: [user_name],
        }

    def response_xml(
        self,
        *,
        acs_url: str,
        audience: str,
        name_id: str,
        in_response_to: str | None = None,
        claims: dict | None = None,
        not_before: datetime | None = None,
        not_on_or_after: datetime | None = None,
        issuer: str | None = None,
        destination: str | None = None,
        recipient: str | None = None,
        assertion_id: str | None = None,
        sign: str = "assertion",
        key: SigningKey | None = None,
        sign_algorithm: str = C.RSA_SHA256,
        digest_algorithm: str = C.SHA256,
    ) -> str:
        """A SAML Response; `sign`: "assertion" (Entra's default), "response", "both", "none"."""
        now = datetime.now(UTC)
        not_before = not_before or now - timedelta(minutes=5)
        not_on_or_after = not_on_or_after or now + timedelta(minutes=65)
        issuer = issuer or self.entity_id
        key = key or self.keys[0]
        assertion_id = assertion_id or f"_{uuid.uuid4()}"
        irt = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
        claims = claims if claims is not None else self.claims_for(name_id)
        attributes = "".join(
            f"<Attribute Name={quoteattr(name)}>"
            + "".join(f"<AttributeValue>{escape(v)}</AttributeValue>" for v in values)
            + "</Attribute>"
            for name, values in claims.items()
        )
        assertion = (
            f'<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" '
            f'IssueInstant="{_instant(now)}" Version="2.0">'
            f"<Issuer>{escape(issuer)}</Issuer>"
            "<Subject>"
            '<NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
            f"{escape(name_id)}</NameID>"
            '<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<SubjectConfirmationData{irt} NotOnOrAfter="{_instant(now + timedelta(minutes=5))}" '
            f"Recipient={quoteattr(recipient or acs_url)}/>"
            "</SubjectConfirmation></Subject>"
            f'<Conditions NotBefore="{_instant(not_before)}" '
            f'NotOnOrAfter="{_instant(not_on_or_after)}">'
            f"<AudienceRestriction><Audience>{escape(audience)}</Audience></AudienceRestriction>"
            "</Conditions>"
            f"<AttributeStatement>{attributes}</AttributeStatement>"
            f'<AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="{assertion_id}">'
            "<AuthnContext><AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</AuthnContextClassRef></AuthnContext></AuthnStatement>"
            "</Assertion>"
        )
        if sign in ("assertion", "both"):
            assertion = self._sign(assertion, key, sign_algorithm, digest_algorithm)
        response = (
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'ID="_{uuid.uuid4()}" Version="2.0" IssueInstant="{_instant(now)}" '
            f"Destination={quoteattr(destination or acs_url)}{irt}>"
            f'<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">{escape(issuer)}</Issuer>'
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status>"
            f"{assertion}</samlp:Response>"
        )
        if sign in ("response", "both"):
            response = self._sign(response, key, sign_algorithm, digest_algorithm)
        return response

    @staticmethod
    def _sign(xml: str, key: SigningKey, sign_algorithm: str, digest_algorithm: str) -> str:
        signed = OneLogin_Saml2_Utils.add_sign(
            xml,
            key.private_key_pem,
            key.certificate_pem,
            sign_algorithm=sign_algorithm,
            digest_algorithm=digest_algorithm,
        )
        return signed.decode() if isinstance(signed, bytes) else signed


def encode(xml: str) -> str:
    """The SAMLResponse form field (HTTP-POST binding)."""
    return base64.b64encode(xml.encode()).decode()


def read_authn_request(redirect_url: str) -> dict:
    """ID, ACS URL, Issuer and RelayState of an HTTP-Redirect-binding AuthnRequest."""
    query = parse_qs(urlsplit(redirect_url).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    root = etree.fromstring(xml)  # noqa: S320 - our own server's request
    issuer = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
    return {
        "id": root.get("ID"),
        "acs_url": root.get("AssertionConsumerServiceURL"),
        "destination": root.get("Destination"),
        "issuer": issuer.text if issuer is not None else "",
        "relay_state": query.get("RelayState", [""])[0],
    }


def redirect_signature_is_valid(redirect_url: str, certificate_pem: str) -> bool:
    """The IdP's check of a signed HTTP-Redirect AuthnRequest (SAML bindings 3.4.4.1).

    The signed octets are SAMLRequest, RelayState and SigAlg exactly as they are in the URL.
    """
    raw = dict(part.split("=", 1) for part in urlsplit(redirect_url).query.split("&"))
    query = parse_qs(urlsplit(redirect_url).query)
    if query.get("SigAlg", [""])[0] != C.RSA_SHA256:
        return False
    signed = "&".join(f"{name}={raw[name]}" for name in ("SAMLRequest", "RelayState", "SigAlg"))
    public_key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    try:
        public_key.verify(  # type: ignore[union-attr, call-arg]
            base64.b64decode(query["Signature"][0]),
            signed.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


class IdpServer:
    """The test IdP over HTTP, for the browser test and scripts/test-idp.

    GET /metadata answers the Federation Metadata XML; GET /saml2?SAMLRequest=…&RelayState=…
    (the HTTP-Redirect binding) answers a page whose button POSTs a signed response for
    `user_name` to the AuthnRequest's ACS URL (the HTTP-POST binding), as Entra's page does.
    """

    def __init__(self, idp: TestIdp, *, user_name: str, host: str = "127.0.0.1", port: int = 0):
        import http.server

        self.idp = idp
        self.user_name = user_name
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                if path == "/metadata":
                    return self._answer(200, server.idp.metadata_xml(), "application/xml")
                if path == "/saml2":
                    return self._answer(200, server.sign_in_page(self.path), "text/html")
                return self._answer(404, "not found", "text/plain")

            def _answer(self, status, body, content_type):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]

    def sign_in_page(self, request_path: str) -> str:
        request = read_authn_request(request_path)
        xml = self.idp.response_xml(
            acs_url=request["acs_url"],
            audience=request["issuer"],
            name_id=self.user_name,
            in_response_to=request["id"],
        )
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<title>Test IdP</title></head><body><h1>Test identity provider</h1>"
            f"<form method=post action={quoteattr(request['acs_url'])}>"
            f'<input type=hidden name=SAMLResponse value="{encode(xml)}">'
            f"<input type=hidden name=RelayState value={quoteattr(request['relay_state'])}>"
            f"<button type=submit>Sign in as {escape(self.user_name)}</button>"
            "</form></body></html>"
        )

    def start(self) -> IdpServer:
        import threading

        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
