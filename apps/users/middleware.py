from django.contrib.auth import SESSION_KEY


class EndSessionsOfDeactivatedUsersMiddleware:
    """A session whose user was deactivated or deleted is ended at its next request.

    Django treats such a session as anonymous but keeps it. Deactivating through the users
    service also revokes every session for good (User.sessions_revoked_at, folded into the
    session hash), even one not used until after a reactivation; this middleware adds the
    immediate end, for a deleted user (no row to compare a hash with) and for a
    deactivation that bypassed the service (a bulk update, a data fix in the shell).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session and not request.user.is_authenticated:
            request.session.flush()
        return self.get_response(request)
