"""Database sessions with an idle timeout that costs at most one write a minute.

The absolute lifetime (SESSION_MAX_AGE) is checked by the users middleware, from the sign-in
time kept in the session under SIGNED_IN_AT.
"""

import time
from datetime import timedelta

from django.contrib.sessions.backends import db

# When the session was signed in, in seconds since the epoch.
SIGNED_IN_AT = "users.signed_in_at"


def keep_sign_in_time(sender, request, user, **kwargs) -> None:
    """Receives user_logged_in, which every sign-in sends (password, SSO, admin): the
    session's absolute lifetime counts from here, even when login() kept its data."""
    request.session[SIGNED_IN_AT] = int(time.time())


# A session in use has its expiry moved on when it was last moved longer ago than this.
REFRESH_EVERY = timedelta(minutes=1)
# When the expiry was last moved on, in seconds since the epoch (the sign-in time before that).
EXPIRY_MOVED_AT = "users.expiry_moved_at"


class SessionStore(db.SessionStore):
    """A session expires SESSION_COOKIE_AGE seconds after its last request, not its first.

    SESSION_SAVE_EVERY_REQUEST would do the same with a database write on every page;
    here the expiry is moved on only when it is more than REFRESH_EVERY old.
    """

    def load(self):
        data = super().load()
        now = int(time.time())
        moved_at = data.get(EXPIRY_MOVED_AT, data.get(SIGNED_IN_AT, 0))
        if data and now - moved_at > REFRESH_EVERY.total_seconds():
            data[EXPIRY_MOVED_AT] = now
            self.modified = True  # Saving sets expire_date to now + SESSION_COOKIE_AGE.
        return data
