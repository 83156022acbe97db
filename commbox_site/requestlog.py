"""One log line per request, with a request id the client sees in X-Request-ID.

The line carries when, which request, which tenant and token, what was asked (the path
with secrets redacted), the answer and how long it took; in production it is JSON.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from apps.audit.redaction import redact_secrets

logger = logging.getLogger("commbox.requests")

# A client may send its own id (a load balancer's, Entra's client-request-id) if it is sane.
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Entra's longest filters make 20 KB request lines; a log line keeps the start of one.
LOGGED_PATH_LENGTH = 1000


def _caller(request, response) -> tuple[int | None, str | None]:
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


class RequestLogMiddleware:
    """Outermost after the health checks: times the whole request, names it, logs it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if INCOMING_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        tenant_id, token_id = _caller(request, response)
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
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


REQUEST_FIELDS = ("request_id", "tenant", "token", "method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, message and any request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if not hasattr(record, "request_id"):
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
