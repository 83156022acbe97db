import pytest
from django.test import Client

from apps.sso import services
from apps.sso.models import MatchBy
from tests.sso.idp import TestIdp, make_signing_key, read_authn_request

HOST = "my-tenant.commbox.test"
BASE_URL = f"http://{HOST}"


@pytest.fixture
def test_idp():
    return TestIdp()


@pytest.fixture
def rollover_idp():
    """An IdP in the middle of a certificate rollover: old and new certificate listed."""
    return TestIdp(keys=[make_signing_key("old"), make_signing_key("new")])


@pytest.fixture
def sp(tenant):
    """Our side for the tenant on its own host."""
    return services.service_provider(tenant, BASE_URL)


@pytest.fixture
def sso_on(tenant, test_idp):
    """SSO configured from the test IdP's metadata and switched on (IdP-initiated off)."""
    services.configure_from_metadata(tenant=tenant, actor=None, metadata=test_idp.metadata_xml())
    return services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=False,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )


@pytest.fixture
def idp_initiated_on(sso_on, tenant):
    return services.set_sso_options(
        tenant=tenant,
        actor=None,
        enabled=True,
        idp_initiated=True,
        require_sso=False,
        match_by=MatchBy.NAME_ID,
    )


@pytest.fixture
def browser():
    """A client on the tenant's own host, like a browser that has no session yet."""
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def new_browser():
    """Makes more browsers on the tenant's host (another person, an attacker)."""
    return lambda: Client(HTTP_HOST=HOST)


@pytest.fixture
def authn_request(browser, sso_on, sp):
    """The AuthnRequest the sign-on URL sent to the IdP (ID, RelayState, ACS URL)."""
    response = browser.get(sp.sign_on_url)
    assert response.status_code == 302
    return read_authn_request(response["Location"])


@pytest.fixture
def response_for(test_idp, sp, authn_request):
    """Builds Entra's answer to the pending AuthnRequest, for a userName (overrides allowed)."""

    def build(name_id, **overrides):
        fields = {
            "acs_url": sp.acs_url,
            "audience": sp.entity_id,
            "name_id": name_id,
            "in_response_to": authn_request["id"],
            **overrides,
        }
        return test_idp.response_xml(**fields)

    return build


@pytest.fixture
def post_to_acs(browser, sp, authn_request):
    """POSTs a response to the ACS as the IdP's page does, with the RelayState it was given."""

    def post(xml, *, relay_state=None, acs_url=None):
        from tests.sso.idp import encode

        return browser.post(
            acs_url or sp.acs_url,
            {
                "SAMLResponse": encode(xml),
                "RelayState": authn_request["relay_state"] if relay_state is None else relay_state,
            },
        )

    return post


@pytest.fixture
def metadata_server(settings):
    """A loopback HTTP server; set .body (bytes) and .delay (seconds) before requesting .url.

    .redirects maps a path to the Location it answers 302 with; .trickle (seconds) sends
    the body a byte at a time with that pause between bytes. Loopback is a private
    address, refused by default: the fixture allows such addresses. .requests counts GETs.
    """
    import http.server
    import threading
    import time

    settings.SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = True

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            server.requests += 1
            time.sleep(server.delay)
            if self.path in server.redirects:
                self.send_response(302)
                self.send_header("Location", server.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(server.body)))
            self.end_headers()
            if not server.trickle:
                self.wfile.write(server.body)
                return
            try:
                for byte in server.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(server.trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.body, server.delay, server.redirects, server.trickle = b"", 0, {}, 0
    server.requests = 0
    server.daemon_threads = True
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    server.url = f"{server.origin}/federationmetadata.xml"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_network(monkeypatch, settings, metadata_server):
    """DNS and connections as the metadata fetch sees them, with private addresses refused.

    .answers[host] lists the address lists successive lookups answer (the last repeats);
    .lookups and .connections record what was asked and which address was connected to.
    Every connection reaches metadata_server, whatever address it was meant for.
    """
    import socket
    from types import SimpleNamespace

    settings.SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = False
    real_getaddrinfo, real_create_connection = socket.getaddrinfo, socket.create_connection
    network = SimpleNamespace(answers={}, lookups=[], connections=[])

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in network.answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        network.lookups.append(host)
        answers = network.answers[host]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in addresses
        ]

    def create_connection(address, *args, **kwargs):
        network.connections.append(address[0])
        server_address = ("127.0.0.1", metadata_server.server_address[1])
        return real_create_connection(server_address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return network
