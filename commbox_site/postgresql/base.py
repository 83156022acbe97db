"""Django's PostgreSQL backend with a health check that costs no round trip when idle.

CONN_HEALTH_CHECKS runs `SELECT 1` before each request's first query: on the SCIM read path
that is one round trip in three. A server that closes a connection (a restart, an admin's
pg_terminate_backend, idle_session_timeout) first sends an error and then closes the socket,
so an idle connection whose socket has nothing to read is still open; only when something
has arrived, or the connection is not plainly idle, does the check fall back to `SELECT 1`.
A connection lost without a word (a cable pulled) fails its first query instead, which
answers 503 as the outage does.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """An idle connection with nothing to read is open: no `SELECT 1` round trip for it."""
        if self.connection is None or self.connection.closed:
            return False
        pgconn = self.connection.pgconn
        if (
            pgconn.status == pq.ConnStatus.OK
            and pgconn.transaction_status == pq.TransactionStatus.IDLE
            and not select.select([pgconn.socket], [], [], 0)[0]
        ):
            return True
        return super().is_usable()
