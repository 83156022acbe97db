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


def scim_exception_handler(exc, context):
    headers = {}
    if isinstance(exc, ValidationError):
        if getattr(exc, "code", None) == "unique":
            status_code, scim_type = status.HTTP_409_CONFLICT, "uniqueness"
        else:
            status_code, scim_type = status.HTTP_400_BAD_REQUEST, "invalidValue"
        return Response(error_body(status_code, _message(exc), scim_type), status=status_code)
    if isinstance(exc, Http404):
        return Response(error_body(404, str(exc) or "Resource not found."), status=404)
    if isinstance(exc, PermissionDenied):
        return Response(error_body(403, str(exc) or "Forbidden."), status=403)
    if isinstance(exc, ScimError):
        return Response(
            error_body(exc.status_code, str(exc.detail), exc.scim_type), status=exc.status_code
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(error_body(400, _flatten(exc.detail), "invalidValue"), status=400)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            error_body(400, f"The request body is not valid JSON: {exc.detail}", "invalidSyntax"),
            status=400,
        )
    if isinstance(exc, exceptions.APIException):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Bearer realm="scim"'
            exc.status_code = 401
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return Response(
            error_body(exc.status_code, detail), status=exc.status_code, headers=headers
        )
    return None
