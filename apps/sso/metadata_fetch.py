"""Reading an App Federation Metadata URL without opening the internal network to it.

The URL is typed by an account's admin and fetched by this server, so it must not be a
way to reach what only the server can reach: the loopback interface, the cloud metadata
service (169.254.169.254), private networks. Each host is resolved once, every address
it resolves to is checked, and the connection goes to a checked address (a second
resolution could answer differently: DNS rebinding). Redirects are followed a few times,
each one checked the same way. One timeout covers the whole fetch, redirects included.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.core.exceptions import ValidationError

MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_bytes: int
    # Loopback, private and other non-public addresses: development and tests only.
    allow_private: bool


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def fetch(url: str, *, limits: Limits) -> bytes:
    """GET the URL's body (status 200), or raise ValidationError saying why not."""
    deadline = time.monotonic() + limits.timeout
    for _ in range(MAX_REDIRECTS + 1):
        target = _target(url)
        address = _checked_address(target, allow_private=limits.allow_private)
        status, location, body = _get(target, address, deadline=deadline, limits=limits)
        if status in REDIRECT_STATUSES and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise _unreadable(f"it answered HTTP {status}")
        return body
    raise _unreadable(f"it redirects more than {MAX_REDIRECTS} times")


def _unreadable(reason: object) -> ValidationError:
    return ValidationError(f"The metadata URL could not be read: {reason}.", code="invalid")


def _target(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(
            f"The metadata URL is not a valid URL: {error}.", code="invalid"
        ) from error
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError("The metadata URL must start with https://.", code="invalid")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("The metadata URL must not contain a user name.", code="invalid")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if scheme == "https" else 80
    return _Target(scheme, parts.hostname, port or default_port, path)


def _checked_address(target: _Target, *, allow_private: bool) -> str:
    """Resolve the host once; refuse it if any of its addresses is not a public one."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise _unreadable(f'its host "{target.host}" was not found') from error
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise _unreadable(f'its host "{target.host}" was not found')
    if not allow_private and not all(_is_public(ipaddress.ip_address(a)) for a in addresses):
        # An attacker's DNS can answer a public and a private address together; any
        # private one refuses the host. The address itself is not shown to the admin.
        raise ValidationError(
            f'The metadata URL\'s host "{target.host}" is a loopback, private, link-local '
            "or otherwise non-public address, which this server does not fetch. Use the App "
            "Federation Metadata Url that Entra shows (https://login.microsoftonline.com/…), "
            "or upload the Federation Metadata XML.",
            code="invalid",
        )
    return addresses[0]


def _is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address written as IPv6 (::ffff:127.0.0.1, 6to4) reaches that IPv4 host.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return _is_public(embedded)
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def _get(
    target: _Target, address: str, *, deadline: float, limits: Limits
) -> tuple[int, str, bytes]:
    """One GET to the checked address; the host name still goes in Host, SNI and the cert check."""
    connection = _connect(target, address, timeout=_remaining(deadline))
    watchdog = _Watchdog(connection, after=_remaining(deadline))
    try:
        connection.request(
            "GET",
            target.path,
            headers={"Accept": "application/xml, text/xml", "Connection": "close"},
        )
        response = connection.getresponse()
        location = response.getheader("Location", "")
        body = _read_body(response, max_bytes=limits.max_bytes) if response.status == 200 else b""
    except (OSError, http.client.HTTPException) as error:
        raise _unreadable("timed out" if watchdog.fired else _reason(error)) from error
    finally:
        watchdog.cancel()
        connection.close()
    if watchdog.fired:
        raise _unreadable("timed out")
    return response.status, location, body


class _Watchdog:
    """Cuts the connection at the deadline: a socket timeout bounds each read, not their sum,
    so a server that trickles its headers or body a byte at a time is stopped here."""

    def __init__(self, connection: http.client.HTTPConnection, *, after: float):
        self.fired = False
        self._sock = connection.sock
        self._timer = threading.Timer(after, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _connect(target: _Target, address: str, *, timeout: float) -> http.client.HTTPConnection:
    try:
        sock = socket.create_connection((address, target.port), timeout=timeout)
    except OSError as error:
        raise _unreadable(_reason(error)) from error
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        context = ssl.create_default_context()
        try:
            sock = context.wrap_socket(sock, server_hostname=target.host)
        except OSError as error:
            sock.close()
            raise _unreadable(_reason(error)) from error
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection.sock = sock  # already connected: request() does not connect (or resolve) again
    return connection


def _read_body(response: http.client.HTTPResponse, *, max_bytes: int) -> bytes:
    too_large = ValidationError(
        f"The metadata document is larger than {max_bytes // 1024} KB.", code="invalid"
    )
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    # read1: at most one read from the socket per call, so the watchdog's cut ends the loop.
    while chunk := response.read1(min(CHUNK_BYTES, max_bytes + 1 - len(body))):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    if response.length:  # bytes the Content-Length announced that never came
        raise http.client.IncompleteRead(bytes(body), response.length)
    return bytes(body)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _unreadable("timed out")
    return remaining


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, http.client.IncompleteRead):
        return "the connection closed before the end of the document"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"its certificate is not valid ({error.verify_message})"
    return str(error) or type(error).__name__
