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
from urllib.parse import parse_qs, quote_plus, urlsplit
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
    # Entra's Logout URL is its Login URL (/saml2) too; False: metadata without one.
    has_logout_service: bool = True

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
        logout = (
            f'<SingleLogoutService Binding="{C.BINDING_HTTP_REDIRECT}" Location="{sso_url}"/>'
            if self.has_logout_service
            else ""
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<EntityDescriptor ID="_{uuid.uuid4()}" entityID="{self.entity_id}" '
            'xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f"{key_descriptors}{logout}"
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

    def logout_request_xml(
        self,
        *,
        destination: str,
        name_id: str,
        session_index: str = "",
        request_id: str | None = None,
        issuer: str | None = None,
        issue_instant: datetime | None = None,
        not_on_or_after: datetime | None = None,
    ) -> str:
        """A LogoutRequest as Entra sends one (NameID, and SessionIndex when given)."""
        now = issue_instant or datetime.now(UTC)
        expiry = f' NotOnOrAfter="{_instant(not_on_or_after)}"' if not_on_or_after else ""
        index = f"<samlp:SessionIndex>{escape(session_index)}</samlp:SessionIndex>"
        return (
            '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'ID="{request_id or "_" + str(uuid.uuid4())}" Version="2.0" '
            f'IssueInstant="{_instant(now)}"{expiry} Destination={quoteattr(destination)}>'
            '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">'
            f"{escape(issuer or self.entity_id)}</Issuer>"
            '<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" '
            'Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
            f"{escape(name_id)}</NameID>"
            f"{index if session_index else ''}"
            "</samlp:LogoutRequest>"
        )

    def logout_response_xml(
        self,
        *,
        destination: str,
        in_response_to: str,
        status: str = "urn:oasis:names:tc:SAML:2.0:status:Success",
        issuer: str | None = None,
    ) -> str:
        """The LogoutResponse Entra answers a service provider's LogoutRequest with."""
        return (
            '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'ID="_{uuid.uuid4()}" Version="2.0" IssueInstant="{_instant(datetime.now(UTC))}" '
            f"Destination={quoteattr(destination)} InResponseTo={quoteattr(in_response_to)}>"
            '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">'
            f"{escape(issuer or self.entity_id)}</Issuer>"
            f'<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>'
            "</samlp:LogoutResponse>"
        )

    def redirect_query(
        self,
        xml: str,
        *,
        saml_type: str = "SAMLRequest",
        relay_state: str = "",
        sign: bool = True,
        key: SigningKey | None = None,
    ) -> str:
        """The HTTP-Redirect binding's query string: deflated, base64, signed (RSA-SHA256)
        over the parameters exactly as they are encoded here (SAML bindings 3.4.4.1)."""
        encoded = base64.b64encode(zlib.compress(xml.encode())[2:-4]).decode()
        parts = [f"{saml_type}={quote_plus(encoded)}"]
        if relay_state:
            parts.append(f"RelayState={quote_plus(relay_state)}")
        if not sign:
            return "&".join(parts)
        parts.append(f"SigAlg={quote_plus(C.RSA_SHA256)}")
        private_key = serialization.load_pem_private_key(
            (key or self.keys[0]).private_key_pem.encode(), password=None
        )
        signature = private_key.sign(  # type: ignore[union-attr, call-arg]
            "&".join(parts).encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return "&".join(parts) + "&Signature=" + quote_plus(base64.b64encode(signature).decode())

    def post_form(
        self,
        xml: str,
        *,
        saml_type: str = "SAMLRequest",
        relay_state: str = "",
        sign: bool = True,
        key: SigningKey | None = None,
    ) -> dict[str, str]:
        """The HTTP-POST binding's form fields: base64 XML with an enveloped signature."""
        if sign:
            xml = self._sign(xml, key or self.keys[0], C.RSA_SHA256, C.SHA256)
        fields = {saml_type: encode(xml)}
        if relay_state:
            fields["RelayState"] = relay_state
        return fields

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


def read_logout_message(redirect_url: str) -> dict:
    """Kind, ID, Issuer, Destination, NameID, SessionIndex, InResponseTo and status of an
    HTTP-Redirect LogoutRequest or LogoutResponse (our server's)."""
    query = parse_qs(urlsplit(redirect_url).query)
    saml_type = "SAMLRequest" if "SAMLRequest" in query else "SAMLResponse"
    xml = zlib.decompress(base64.b64decode(query[saml_type][0]), -15)
    root = etree.fromstring(xml)  # noqa: S320 - our own server's message
    ns = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "samlp": PROTOCOL}

    def text(xpath: str) -> str:
        nodes = root.xpath(xpath, namespaces=ns)
        return (nodes[0].text or "") if nodes else ""

    status = root.xpath("samlp:Status/samlp:StatusCode", namespaces=ns)
    return {
        "kind": etree.QName(root).localname,
        "id": root.get("ID"),
        "destination": root.get("Destination"),
        "in_response_to": root.get("InResponseTo"),
        "issuer": text("saml:Issuer"),
        "name_id": text("saml:NameID"),
        "session_index": text("samlp:SessionIndex"),
        "status": status[0].get("Value") if status else "",
        "relay_state": query.get("RelayState", [""])[0],
        "signed": "Signature" in query,
    }


PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"


def redirect_signature_is_valid(redirect_url: str, certificate_pem: str) -> bool:
    """The IdP's check of a signed HTTP-Redirect message (SAML bindings 3.4.4.1).

    The signed octets are SAMLRequest (or SAMLResponse), RelayState if present and SigAlg,
    exactly as they are in the URL.
    """
    raw = dict(part.split("=", 1) for part in urlsplit(redirect_url).query.split("&"))
    query = parse_qs(urlsplit(redirect_url).query)
    if query.get("SigAlg", [""])[0] != C.RSA_SHA256:
        return False
    names = ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg")
    signed = "&".join(f"{name}={raw[name]}" for name in names if name in raw)
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

    GET /metadata answers the Federation Metadata XML. GET /saml2 (the HTTP-Redirect
    binding, one endpoint for everything, as Entra's) answers:
    - an AuthnRequest with a page whose button POSTs a signed response for `user_name` to
      its ACS URL (the HTTP-POST binding), as Entra's page does;
    - a LogoutRequest (kept in .logout_requests) with a 302 to the service provider's
      logout service carrying a signed LogoutResponse, as Entra does;
    - a LogoutResponse (kept in .logout_responses) with a "signed out" page.
    GET /logout starts an IdP-initiated logout of `user_name`: a 302 to the service
    provider's logout service with a signed LogoutRequest (the session index of the last
    sign-in, so it also works unsigned: /logout?unsigned=1).
    The service provider's logout service is read from the Issuer of its messages (its
    Entity ID ends in /saml/metadata/, its logout service in /saml/slo/), or `sp_slo_url`.
    """

    def __init__(
        self,
        idp: TestIdp,
        *,
        user_name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        sp_slo_url: str = "",
    ):
        import http.server

        self.idp = idp
        self.user_name = user_name
        self.sp_slo_url = sp_slo_url
        self.session_index = ""
        self.logout_requests: list[dict] = []
        self.logout_responses: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                if path == "/metadata":
                    return self._answer(200, server.idp.metadata_xml(), "application/xml")
                if path == "/saml2":
                    return self._saml2()
                if path == "/logout":
                    unsigned = "unsigned=1" in urlsplit(self.path).query
                    return self._redirect(server.logout_request_url(sign=not unsigned))
                return self._answer(404, "not found", "text/plain")

            def _saml2(self):
                query = parse_qs(urlsplit(self.path).query)
                if "SAMLResponse" in query:
                    return self._answer(200, server.logged_out_page(self.path), "text/html")
                if _request_kind(query["SAMLRequest"][0]) == "LogoutRequest":
                    return self._redirect(server.logout_response_url(self.path))
                return self._answer(200, server.sign_in_page(self.path), "text/html")

            def _redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

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
        self.session_index = f"_{uuid.uuid4()}"
        self.sp_slo_url = self.sp_slo_url or _slo_of(request["issuer"])
        xml = self.idp.response_xml(
            acs_url=request["acs_url"],
            audience=request["issuer"],
            name_id=self.user_name,
            in_response_to=request["id"],
            assertion_id=self.session_index,
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

    def logout_response_url(self, request_path: str) -> str:
        """Entra's answer to a service provider's LogoutRequest: signed, HTTP-Redirect."""
        request = read_logout_message(request_path)
        self.logout_requests.append(request)
        slo_url = self.sp_slo_url or _slo_of(request["issuer"])
        xml = self.idp.logout_response_xml(destination=slo_url, in_response_to=request["id"])
        query = self.idp.redirect_query(
            xml, saml_type="SAMLResponse", relay_state=request["relay_state"]
        )
        return f"{slo_url}?{query}"

    def logout_request_url(self, *, sign: bool = True) -> str:
        xml = self.idp.logout_request_xml(
            destination=self.sp_slo_url, name_id=self.user_name, session_index=self.session_index
        )
        return f"{self.sp_slo_url}?{self.idp.redirect_query(xml, sign=sign)}"

    def logged_out_page(self, response_path: str) -> str:
        response = read_logout_message(response_path)
        self.logout_responses.append(response)
        status = response["status"].rsplit(":", 1)[-1]
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<title>Test IdP</title></head><body><h1>Signed out of the test identity provider</h1>"
            f"<p>The service provider answered: {escape(status)}.</p></body></html>"
        )

    def start(self) -> IdpServer:
        import threading

        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _request_kind(encoded: str) -> str:
    root = etree.fromstring(zlib.decompress(base64.b64decode(encoded), -15))  # noqa: S320
    return etree.QName(root).localname


def _slo_of(entity_id: str) -> str:
    """Our logout service, from our Entity ID (the metadata URL): .../saml/slo/."""
    return entity_id.removesuffix("metadata/") + "slo/"
