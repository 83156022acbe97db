"""Secrets out of paths and log lines, before anything stores or shows them.

A client may put its API token in the URL (`?access_token=cbx_…`, `/Users/cbx_…`) or paste an
Authorization header into a filter. The SCIM request log (Provisioning tab, Django admin),
the structured request log and the console log all pass what they keep through
`redact_secrets`, so a token never reaches a screen or a log file.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
# Query parameters whose value is a credential whatever it looks like.
_SECRET_NAME = re.compile(
    r"auth|token|key|secret|pass|pwd|sig|session|bearer|jwt|code|credential|cookie|saml",
    re.IGNORECASE,
)
_SECRET_SHAPES = [
    # Our API tokens: cbx_ and base62, any character of them possibly percent-encoded.
    (
        re.compile(
            r"((?:c|%63)(?:b|%62)(?:x|%78)(?:_|%5F))(?:[A-Za-z0-9]|%[0-9A-F]{2})+", re.IGNORECASE
        ),
        rf"\1{REDACTED}",
    ),
    # An Authorization header's value pasted anywhere: "Bearer x", "Basic x".
    (
        re.compile(
            r"(?<![A-Za-z])(bearer|basic)((?:\s|\+|%20|%09)+)[A-Za-z0-9._~+/=%-]{8,}", re.IGNORECASE
        ),
        rf"\1\2{REDACTED}",
    ),
    # JWTs (Entra's test-only bearer tokens are JWTs): three base64url parts.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
]


def is_secret_name(name: str) -> bool:
    """Whether a parameter, header, field or variable of this name holds a credential."""
    return bool(_SECRET_NAME.search(name))


def _redact_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if equals and _SECRET_NAME.search(unquote_plus(name)):
            part = f"{name}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def redact_secrets(path: str) -> str:
    """`path` (with its query string) with tokens and credential parameters replaced."""
    base, question, query = path.partition("?")
    if question:
        path = f"{base}?{_redact_query(query)}"
    for pattern, replacement in _SECRET_SHAPES:
        path = pattern.sub(replacement, path)
    return path


def redact_text(text: str) -> str:
    """A text of many lines (a traceback, an error report) with each line's secrets redacted;
    a line's "?" starts a query string for that line only."""
    return "\n".join(redact_secrets(line) for line in text.split("\n"))


class RedactSecretsFilter(logging.Filter):
    """A logging filter: the formatted message, redacted (django.request logs raw paths)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
