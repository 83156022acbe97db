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
def metadata_server():
    """A loopback HTTP server; set .body (bytes) and .delay (seconds) before requesting .url."""
    import http.server
    import threading
    import time

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(server.delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(server.body)))
            self.end_headers()
            self.wfile.write(server.body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.body, server.delay = b"", 0
    server.daemon_threads = True
    server.url = f"http://127.0.0.1:{server.server_address[1]}/federationmetadata.xml"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
