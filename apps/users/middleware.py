from django.contrib.auth import SESSION_KEY


class EndSessionsOfDeactivatedUsersMiddleware:
    """A session whose user was deactivated or deleted is ended at its next request.

    Django already treats such a session as anonymous; flushing it means a later
    reactivation does not bring that session back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session and not request.user.is_authenticated:
            request.session.flush()
        return self.get_response(request)
