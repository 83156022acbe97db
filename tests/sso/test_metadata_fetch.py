"""Reading the App Federation Metadata URL: not a way into the server's own network."""

import time

import pytest
from django.core.exceptions import ValidationError

from apps.sso.services import fetch_metadata

PUBLIC = "20.190.151.68"  # a public address (Microsoft's); the fake network serves it
OTHER_PUBLIC = "40.126.23.97"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/federationmetadata.xml",
        "http://127.1.2.3:8080/federationmetadata.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/federationmetadata.xml",
        "http://172.16.0.1/federationmetadata.xml",
        "https://192.168.1.1/federationmetadata.xml",
        "http://100.64.0.1/federationmetadata.xml",
        "http://224.0.0.1/federationmetadata.xml",
        "http://240.0.0.1/federationmetadata.xml",
        "http://0.0.0.0/federationmetadata.xml",
        "http://[::1]/federationmetadata.xml",
        "http://[fe80::1]/federationmetadata.xml",
        "http://[fd00::1]/federationmetadata.xml",
        "http://[::ffff:127.0.0.1]/federationmetadata.xml",
        "http://[2002:7f00:1::]/federationmetadata.xml",
    ],
)
def test_non_public_address_is_refused_without_connecting(fake_network, url):
    with pytest.raises(ValidationError, match="non-public address"):
        fetch_metadata(url)

    assert fake_network.connections == []


def test_host_name_that_resolves_to_a_private_address_is_refused(fake_network):
    fake_network.answers["idp.contoso.example"] = [["10.1.2.3"]]

    with pytest.raises(ValidationError, match='"idp.contoso.example" is a loopback, private'):
        fetch_metadata("https://idp.contoso.example/federationmetadata.xml")

    assert fake_network.connections == []


def test_host_name_with_a_public_and_a_private_address_is_refused(fake_network):
    fake_network.answers["idp.contoso.example"] = [[PUBLIC, "127.0.0.1"]]

    with pytest.raises(ValidationError, match="non-public address"):
        fetch_metadata("http://idp.contoso.example/federationmetadata.xml")

    assert fake_network.connections == []


def test_public_host_is_read_from_the_address_it_resolved_to(fake_network, metadata_server):
    fake_network.answers["idp.contoso.example"] = [[PUBLIC]]
    metadata_server.body = b"<EntityDescriptor/>"

    body = fetch_metadata("http://idp.contoso.example/federationmetadata.xml")

    assert body == b"<EntityDescriptor/>"
    assert fake_network.connections == [PUBLIC]


def test_a_changed_dns_answer_after_the_check_does_not_change_where_it_connects(
    fake_network, metadata_server
):
    # DNS rebinding: the first lookup passes the check, a second would answer loopback.
    fake_network.answers["rebind.example"] = [[PUBLIC], ["127.0.0.1"]]
    metadata_server.body = b"<EntityDescriptor/>"

    fetch_metadata("http://rebind.example/federationmetadata.xml")

    assert fake_network.lookups == ["rebind.example"]
    assert fake_network.connections == [PUBLIC]


def test_redirect_to_a_private_address_is_refused(fake_network, metadata_server):
    fake_network.answers["idp.contoso.example"] = [[PUBLIC]]
    metadata_server.redirects = {
        "/federationmetadata.xml": "http://169.254.169.254/latest/meta-data/"
    }

    with pytest.raises(ValidationError, match="non-public address"):
        fetch_metadata("http://idp.contoso.example/federationmetadata.xml")

    assert fake_network.connections == [PUBLIC]


def test_redirect_to_a_host_that_resolves_to_loopback_is_refused(fake_network, metadata_server):
    fake_network.answers["idp.contoso.example"] = [[PUBLIC]]
    fake_network.answers["localhost.attacker.example"] = [["127.0.0.1"]]
    metadata_server.redirects = {
        "/federationmetadata.xml": "http://localhost.attacker.example/admin/"
    }

    with pytest.raises(ValidationError, match="non-public address"):
        fetch_metadata("http://idp.contoso.example/federationmetadata.xml")

    assert fake_network.connections == [PUBLIC]


def test_redirect_to_a_public_address_is_followed(fake_network, metadata_server):
    fake_network.answers["old.contoso.example"] = [[PUBLIC]]
    fake_network.answers["login.contoso.example"] = [[OTHER_PUBLIC]]
    metadata_server.redirects = {"/old.xml": "http://login.contoso.example/federationmetadata.xml"}
    metadata_server.body = b"<EntityDescriptor/>"

    body = fetch_metadata("http://old.contoso.example/old.xml")

    assert body == b"<EntityDescriptor/>"
    assert fake_network.connections == [PUBLIC, OTHER_PUBLIC]


def test_redirect_to_another_scheme_is_refused(fake_network, metadata_server):
    fake_network.answers["idp.contoso.example"] = [[PUBLIC]]
    metadata_server.redirects = {"/federationmetadata.xml": "file:///etc/passwd"}

    with pytest.raises(ValidationError, match="must start with https://"):
        fetch_metadata("http://idp.contoso.example/federationmetadata.xml")


def test_more_than_three_redirects_are_refused(fake_network, metadata_server):
    fake_network.answers["idp.contoso.example"] = [[PUBLIC]]
    metadata_server.redirects = {"/loop.xml": "/loop.xml"}

    with pytest.raises(ValidationError, match="redirects more than 3 times"):
        fetch_metadata("http://idp.contoso.example/loop.xml")

    assert metadata_server.requests == 4


def test_url_with_a_user_name_is_refused(fake_network):
    with pytest.raises(ValidationError, match="must not contain a user name"):
        fetch_metadata(f"http://admin:secret@{PUBLIC}/federationmetadata.xml")


def test_server_that_trickles_its_answer_is_cut_at_the_timeout(
    fake_network, metadata_server, settings
):
    settings.SSO_METADATA_TIMEOUT_SECONDS = 0.5
    fake_network.answers["slow.contoso.example"] = [[PUBLIC]]
    metadata_server.body = b"<EntityDescriptor/>" * 5  # 95 bytes, one every 0.05 s: 4.75 s
    metadata_server.trickle = 0.05
    started = time.monotonic()

    with pytest.raises(ValidationError, match="timed out"):
        fetch_metadata("http://slow.contoso.example/federationmetadata.xml")

    assert time.monotonic() - started < 3


def test_private_address_is_read_when_the_setting_allows_it(metadata_server):
    metadata_server.body = b"<EntityDescriptor/>"

    assert fetch_metadata(metadata_server.url) == b"<EntityDescriptor/>"
