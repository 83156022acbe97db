import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout

from apps.users.sessions import SIGNED_IN_AT


class EndSessionsOfDeactivatedUsersMiddleware:
    """A session that may no longer be used is ended at its next request.

    - Its user was deactivated or deleted. Django treats such a session as anonymous but
      keeps it. Deactivating through the users service also revokes every session for good
      (User.sessions_revoked_at, folded into the session hash), even one not used until
      after a reactivation; this adds the immediate end, for a deleted user (no row to
      compare a hash with) and for a deactivation that bypassed the service (a bulk update,
      a data fix in the shell).
    - It was signed in SESSION_MAX_AGE seconds ago or more: the absolute lifetime beside
      the idle one (SESSION_COOKIE_AGE, apps/users/sessions.py), however busy it stayed.
      The person is signed out; a page that needs them signed in sends them to sign in.

    The sign-in time is kept in the session at sign-in (apps/users/sessions.py); a session
    signed in before it was kept gets it on its next response, once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            signed_in_at = session.get(SIGNED_IN_AT)
            if signed_in_at is not None and time.time() - signed_in_at >= settings.SESSION_MAX_AGE:
                logout(request)
            elif not request.user.is_authenticated:
                session.flush()
        response = self.get_response(request)
        if SESSION_KEY in session and SIGNED_IN_AT not in session:
            session[SIGNED_IN_AT] = int(time.time())
        return response
