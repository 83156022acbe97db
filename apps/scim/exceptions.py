"""Every error leaves the SCIM API as a SCIM error body (RFC 7644 §3.12)."""

import logging
import reprlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from apps.scim.throttling import retry_after

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
logger = logging.getLogger(__name__)
# A detail quotes what was sent, cut short: an error never echoes a whole body back.
MAX_DETAIL_LENGTH = 500
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 80
_SHOWN.maxlist = _SHOWN.maxdict = 4
_SHOWN.maxlevel = 2


# DRF's own sentence ("Authentication credentials were not provided.") says nothing of
# where a token comes from.
NO_TOKEN = (
    "This request has no API token. Send it as 'Authorization: Bearer <token>'; an admin of "
    "the account makes tokens in Settings → Modules → API (Tokens tab)."
)


def shown(value) -> str:
    """A sent value as an error detail quotes it: repr() cut to about 80 characters."""
    return _SHOWN.repr(value)


class ScimError(exceptions.APIException):
    """An error with a SCIM scimType (invalidFilter, invalidPath, invalidValue, ...)."""

    def __init__(self, detail: str, *, scim_type: str | None = None, status_code: int = 400):
        super().__init__(detail)
        self.status_code = status_code
        self.scim_type = scim_type


def body_too_large() -> ScimError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return ScimError(f"The request body is larger than {limit} bytes.", status_code=413)


def error_body(status_code: int, detail: str, scim_type: str | None = None) -> dict:
    if len(detail) > MAX_DETAIL_LENGTH:
        detail = detail[: MAX_DETAIL_LENGTH - 1] + "…"
    body = {"schemas": [ERROR_SCHEMA], "status": str(status_code), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def _error(status_code: int, detail: str, scim_type: str | None = None, **kwargs) -> Response:
    return Response(error_body(status_code, detail, scim_type), status=status_code, **kwargs)


def database_unavailable() -> Response:
    """The SCIM answer to a database outage, in a view or outside one (commbox_site.errors):
    503, a SCIM error body and Retry-After. Nothing of the request was written, so a retry
    is safe."""
    retry = str(settings.SERVICE_UNAVAILABLE_RETRY_AFTER)
    detail = "The directory database is unavailable; retry shortly."
    return _error(503, detail, headers={"Retry-After": retry})


def _unavailable_error(exc) -> Response | None:
    """A database outage (503) or a rate limit (429): come back later, Retry-After says when."""
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or the connection broke: the transaction rolled back, so the
        # client may safely retry. Logged, since it is an outage and not bad input.
        logger.error("SCIM request failed: database unavailable: %s", exc)
        return database_unavailable()
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        return _error(429, str(exc.detail), headers={"Retry-After": retry_after(wait)})
    return None


def _django_error(exc) -> Response | None:
    """Services raise Django's own exceptions (STYLE §9)."""
    if isinstance(exc, ValidationError):
        if getattr(exc, "code", None) == "unique":
            return _error(status.HTTP_409_CONFLICT, _message(exc), "uniqueness")
        return _error(status.HTTP_400_BAD_REQUEST, _message(exc), "invalidValue")
    if isinstance(exc, Http404):
        return _error(404, str(exc) or "Resource not found.")
    if isinstance(exc, PermissionDenied):
        return _error(403, str(exc) or "Forbidden.")
    return None


def _api_error(exc) -> Response | None:
    if isinstance(exc, ScimError):
        return _error(exc.status_code, str(exc.detail), exc.scim_type)
    if isinstance(exc, exceptions.ValidationError):
        return _error(400, _flatten(exc.detail), "invalidValue")
    if isinstance(exc, exceptions.ParseError):
        return _error(400, f"The request body is not valid JSON: {exc.detail}", "invalidSyntax")
    if isinstance(exc, exceptions.NotAuthenticated):
        return _error(401, NO_TOKEN, headers={"WWW-Authenticate": 'Bearer realm="scim"'})
    if isinstance(exc, exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": 'Bearer realm="scim"'}
        return _error(401, str(exc.detail), headers=headers)
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return _error(exc.status_code, detail)
    return None


def scim_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Django refuses the body before any parser sees it; its own answer is a 400 page.
        exc = body_too_large()
    for handler in (_unavailable_error, _django_error, _api_error):
        response = handler(exc)
        if response is not None:
            return response
    return None
