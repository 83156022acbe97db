"""The site's error pages for errors raised outside a view: SCIM clients get SCIM error bodies.

Django's own refusals (a Host header outside ALLOWED_HOSTS, too many fields, a body too
large) and failures met in a middleware never reach a SCIM view, so the SCIM view's
exception handler cannot shape them; these handlers do, by path.
"""

from __future__ import annotations

import json
import sys

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults
from rest_framework.response import Response

from apps.metrics import DATABASE_UNAVAILABLE
from apps.scim.exceptions import body_too_large, database_unavailable, error_body
from apps.scim.media import SCIM_MEDIA_TYPE, SCIM_ROOT


def _is_scim(request) -> bool:
    return request.path_info.startswith(SCIM_ROOT)


def scim_error_page(status_code: int, detail: str) -> HttpResponse:
    return HttpResponse(
        json.dumps(error_body(status_code, detail), separators=(",", ":")),
        status=status_code,
        content_type=SCIM_MEDIA_TYPE,
    )


def _as_page(answer: Response) -> HttpResponse:
    """A SCIM error Response given outside a view, where no DRF renderer runs."""
    page = HttpResponse(
        json.dumps(answer.data, separators=(",", ":")),
        status=answer.status_code,
        content_type=SCIM_MEDIA_TYPE,
    )
    if "Retry-After" in answer:
        page["Retry-After"] = answer["Retry-After"]
    return page


def bad_request(request, exception):
    """handler400: a Host header outside ALLOWED_HOSTS and other refusals of Django's own."""
    if not _is_scim(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        detail = "The Host header names a host this server does not answer to."
    elif isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        detail = f"The request has more than {limit} query parameters."
    elif isinstance(exception, RequestDataTooBig):
        return scim_error_page(413, str(body_too_large().detail))
    else:
        detail = "The request was refused as malformed."
    return scim_error_page(400, detail)


def service_unavailable(request) -> HttpResponse:
    """A database outage met outside a SCIM view: 503 with Retry-After, a SCIM body on SCIM."""
    if _is_scim(request):
        return _as_page(database_unavailable())
    DATABASE_UNAVAILABLE.labels("pages").inc()
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(settings.SERVICE_UNAVAILABLE_RETRY_AFTER)
    return response


def server_error(request):
    """handler500: an outage is still a 503; else a SCIM error body on SCIM, Django's page off."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return service_unavailable(request)
    if not _is_scim(request):
        return defaults.server_error(request)
    return scim_error_page(500, "The server failed to answer this request; it has been logged.")
