"""The session, authentication and messages middleware, skipped on SCIM URLs; CSP fixed there.

SCIM callers send an API token, never a cookie or a form, so the session lookup,
request.user and the message storage are work without a use there; the pages keep all of
it. CSRF stays Django's own middleware (`check --deploy` looks for it; DRF views are exempt).
"""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.contrib.auth import get_user
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessages
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessions
from django.utils.functional import SimpleLazyObject

from apps.portal.middleware import AccountHostMiddleware as PortalAccountHost
from apps.scim.media import SCIM_ROOT
from apps.users.middleware import (
    EndSessionsOfDeactivatedUsersMiddleware as UsersEndSessionsOfDeactivatedUsers,
)


class NotForScim:
    def __call__(self, request):
        if request.path_info.startswith(SCIM_ROOT):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(NotForScim, DjangoSessions):
    pass


class AuthenticationMiddleware(NotForScim, DjangoAuthentication):
    """Django's, with the user, once loaded, also kept in request.signed_in_user.

    request.user stays lazy (a page that never asks costs no query); the request log names
    the tenant from request.signed_in_user, which is set only if something asked.
    """

    def process_request(self, request):
        super().process_request(request)
        request.signed_in_user = None

        def load():
            request.signed_in_user = get_user(request)
            return request.signed_in_user

        request.user = SimpleLazyObject(load)


class EndSessionsOfDeactivatedUsersMiddleware(NotForScim, UsersEndSessionsOfDeactivatedUsers):
    pass


class AccountHostMiddleware(NotForScim, PortalAccountHost):
    pass


class MessageMiddleware(NotForScim, DjangoMessages):
    pass


# A SCIM response is JSON that no browser should run or frame.
SCIM_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's, with a fixed policy on SCIM URLs: it builds the pages' policy anew for
    every response, which was a twentieth of a SCIM read's CPU."""

    def __call__(self, request):
        if request.path_info.startswith(SCIM_ROOT):
            response = self.get_response(request)
            response.headers.setdefault(HEADER, SCIM_CONTENT_SECURITY_POLICY)
            return response
        return super().__call__(request)
