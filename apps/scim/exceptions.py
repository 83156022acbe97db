"""Every error leaves the SCIM API as a SCIM error body (RFC 7644 §3.12)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(exceptions.APIException):
    """An error with a SCIM scimType (invalidFilter, invalidPath, invalidValue, ...)."""

    def __init__(self, detail: str, *, scim_type: str | None = None, status_code: int = 400):
        super().__init__(detail)
        self.status_code = status_code
        self.scim_type = scim_type


def error_body(status_code: int, detail: str, scim_type: str | None = None) -> dict:
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
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        headers = {"WWW-Authenticate": 'Bearer realm="scim"'}
        return _error(401, str(exc.detail), headers=headers)
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return _error(exc.status_code, detail)
    return None


def scim_exception_handler(exc, context):
    response = _django_error(exc)
    return response if response is not None else _api_error(exc)
