"""Errors an operator sees: Sentry when SENTRY_DSN is set, mail to ADMINS when that is.

Both go through the project's redaction (apps/audit/redaction.py): API tokens, passwords,
SAML payloads, cookies and the Authorization header never leave the server. Without
SENTRY_DSN the SDK is not started and nothing is sent anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.log import AdminEmailHandler
from django.views.debug import SafeExceptionReporterFilter

from apps.audit.redaction import REDACTED, is_secret_name, redact_secrets, redact_text

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

# Keys whose whole value goes, whatever it holds.
WHOLLY_REDACTED = {"cookies", "cookie", "set-cookie", "authorization", "proxy-authorization"}


def scrub(value: Any, name: str = "") -> Any:
    """`value` with every credential replaced: by its key's name, or by its shape in text."""
    if name.lower() in WHOLLY_REDACTED:
        return REDACTED
    if isinstance(value, dict):
        return {key: scrub(item, str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item, name) for item in value]
    if isinstance(value, str):
        return REDACTED if is_secret_name(name) else redact_secrets(value)
    return value


def scrub_event(event: Event, hint: Hint) -> Event:
    """Sentry's before_send: the whole event through scrub()."""
    return scrub(event)


def scrub_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb:
    return scrub(crumb)


def start_error_tracking(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float, **options: Any
) -> bool:
    """Start the Sentry SDK when a DSN is given; return whether it was started."""
    if not dsn:
        return False
    # Imported only when used: the SDK and its Django integration cost every worker's start
    # a noticeable share of its import time.
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration()],
        # No user or client address, no local variables (a frame's `secret` or `body` could
        # hold a token or a SAML response) and no query parameters (a session key, a digest);
        # what is sent passes scrub_event.
        data_collection={
            "user_info": False,
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        max_request_body_size="small",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        **options,
    )
    return True


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's error pages and ADMINS mail: POST fields and frame variables named like a
    credential (password, SAMLResponse, token, secret) are hidden, as settings are."""

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        cleansed = parameters.copy()
        for name in parameters:
            if is_secret_name(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleansed_substitute if is_secret_name(name) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


class RedactingAdminEmailHandler(AdminEmailHandler):
    """Django's mail to ADMINS (plain text, its default), with tokens redacted line by line:
    the report quotes the path and the exception's message, which may hold one."""

    def emit(self, record):
        # Django's own shortcut, which overriding send_mail turns off: nobody to mail.
        if not settings.ADMINS:
            return
        try:
            super().emit(record)
        except Exception:
            # A handler never raises into the request (logging's contract): a report that
            # cannot be built (the query string of a request refused for its 1,500
            # parameters) is logging's own error on stderr, not a 500.
            self.handleError(record)

    def send_mail(self, subject, message, *args, **kwargs):
        super().send_mail(redact_secrets(subject), redact_text(message), *args, **kwargs)
