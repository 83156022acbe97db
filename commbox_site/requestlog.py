"""One log line per request, with a request id the client sees in X-Request-ID.

The line carries when, which request, which tenant and token, what was asked (the path
with secrets redacted), the answer and how long it took; in production it is JSON. Every
other line written while a request is served (a warning, Django's "Unauthorized: ...", an
error with its traceback) carries the same request id and tenant (RequestContextFilter).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished
from django.http import HttpRequest
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

from apps.audit.redaction import redact_secrets, redact_text
from apps.metrics import HTTP_LATENCY
from apps.scim.media import SCIM_ROOT

logger = logging.getLogger("commbox.requests")

# A client may send its own id (a load balancer's, Entra's client-request-id) if it is sane.
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Entra's longest filters make 20 KB request lines; a log line keeps the start of one.
LOGGED_PATH_LENGTH = 1000


# The request being served by this thread. Set by the middleware and cleared when the
# response is closed (request_finished), not when the middleware returns: Django logs a 4xx
# or 5xx ("Unauthorized: /scim/v2/Users") after the middleware chain has returned.
current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def _forget_request(**kwargs) -> None:
    current_request.set(None)


request_finished.connect(_forget_request, dispatch_uid="commbox_site.requestlog")


def _caller(request) -> tuple[int | None, str | None]:
    """(tenant id, token id) without a query: only what the request already loaded."""
    # A view that authenticated an API token names it in request.api_token (the SCIM views
    # do); asking DRF's request.auth instead would authenticate again when that failed.
    token = getattr(request, "api_token", None)
    if token is not None:
        return token.tenant_id, str(token.public_id)
    # The user is loaded lazily; reading request.user here would cost a query (or fail, with
    # the database down) for pages that never needed it (commbox_site.middleware).
    user = getattr(request, "signed_in_user", None)
    if user is not None and getattr(user, "tenant_id", None) is not None:
        return user.tenant_id, None
    return None, None


def _channel(path: str) -> str:
    """A request's channel for /metrics, from a fixed list."""
    for prefix, channel in ((SCIM_ROOT, "scim"), ("/sso/", "sso"), ("/admin/", "admin")):
        if path.startswith(prefix):
            return channel
    return "pages"


class RequestLogMiddleware:
    """Outermost after the health checks: times the whole request, names it, logs it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if INCOMING_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        current_request.set(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        tenant_id, token_id = _caller(request)
        duration = time.monotonic() - started
        HTTP_LATENCY.labels(_channel(request.path_info)).observe(duration)
        path = redact_secrets(request.get_full_path())
        if len(path) > LOGGED_PATH_LENGTH:
            path = f"{path[:LOGGED_PATH_LENGTH]}…({len(path) - LOGGED_PATH_LENGTH} more)"
        logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "request_id": request.request_id,
                "tenant": tenant_id,
                "token": token_id,
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
            },
        )
        return response


class RequestContextFilter(logging.Filter):
    """Names the request being served, and its tenant once known, on every line it writes.

    A handler's filter (settings.LOGGING), so it sees lines of every logger: the SCIM
    throttle's warning, django.request's 4xx and 5xx, an app's error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        if request is not None:
            if not hasattr(record, "request_id"):
                record.request_id = getattr(request, "request_id", None)
            if not hasattr(record, "tenant"):
                record.tenant = _caller(request)[0]
        return True


# Fields that cannot hold a secret, not redacted on every line: the formatter's own, and the
# request id (ours, or a client's that matched INCOMING_REQUEST_ID).
HOLD_NO_SECRET = frozenset({"time", "level", "logger", "request_id"})


class JsonFormatter(LibraryJsonFormatter):
    """python-json-logger: one JSON object a line with time, level, logger, message and every
    `extra` field; secrets redacted in each field and the traceback, as in the message
    (RedactSecretsFilter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_default", str)
        super().__init__("%(time)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_data, record, message_dict) -> None:
        record.time = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)
        if "exc_info" in log_data:
            log_data["exception"] = log_data.pop("exc_info")
        # Extra fields are kept, with the tokens blanked that any text of them holds (Django
        # passes the request itself, whose repr has the path and its query string).
        for name, value in log_data.items():
            if name not in HOLD_NO_SECRET and not isinstance(value, int | float | bool | None):
                log_data[name] = redact_secrets(str(value))

    def formatException(self, ei) -> str:  # noqa: N802 - logging.Formatter's name
        return redact_text(super().formatException(ei))
