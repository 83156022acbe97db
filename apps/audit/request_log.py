"""The SCIM request log (Provisioning tab), written off the request path.

A request appends its row to an in-process buffer and returns; a daemon thread writes the
buffer with one bulk INSERT every SCIM_REQUEST_LOG_FLUSH_SECONDS, or sooner once
SCIM_REQUEST_LOG_FLUSH_ROWS rows wait, and once more when the process exits. A read of
/Users therefore costs no INSERT and no commit of its own. With the setting at 0 the row is
written in the request, as tests want. A crash loses at most the last second of log rows,
never an audit event: those are written in the transaction of the change. Writing keeps
the log to its size: each tenant's oldest rows are trimmed as its new ones arrive.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque

from django.conf import settings
from django.db import connection

from apps.audit.models import ScimRequest
from apps.metrics import REQUEST_LOG_ROWS

logger = logging.getLogger(__name__)

# The Provisioning tab shows the latest requests and a day of sync cycles (an initial
# cycle can be thousands of requests); older rows are trimmed as ids pass a multiple of
# TRIM_EVERY, so a trim costs one DELETE per tenant now and then.
KEEP = 5000
TRIM_EVERY = 100


def write_rows(rows: list[ScimRequest]) -> None:
    """Insert the rows in one statement and trim each tenant whose ids passed a multiple."""
    if not rows:
        return
    created = ScimRequest.objects.bulk_create(rows)
    REQUEST_LOG_ROWS.labels("written").inc(len(rows))
    ids_by_tenant: dict[int, list[int]] = {}
    for row in created:
        if row.pk is not None:
            ids_by_tenant.setdefault(row.tenant_id, []).append(row.pk)
    for tenant_id, ids in ids_by_tenant.items():
        if max(ids) // TRIM_EVERY != (min(ids) - 1) // TRIM_EVERY:
            _trim(tenant_id)


def _trim(tenant_id: int) -> None:
    oldest_kept = (
        ScimRequest.objects.filter(tenant_id=tenant_id)
        .order_by("-id")
        .values_list("id", flat=True)[KEEP - 1 : KEEP]
    )
    cutoff = next(iter(oldest_kept), None)
    if cutoff is not None:
        ScimRequest.objects.filter(tenant_id=tenant_id, id__lt=cutoff).delete()


class RequestLogBuffer:
    """Rows waiting to be written, and the thread that writes them; one per process."""

    def __init__(self):
        self.rows: deque[ScimRequest] = deque()
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid: int | None = None

    def add(self, row: ScimRequest) -> None:
        self.rows.append(row)
        if len(self.rows) >= settings.SCIM_REQUEST_LOG_FLUSH_ROWS:
            self.wake.set()

    def flush(self) -> int:
        """Write what waits now; returns how many rows were written."""
        with self.lock:
            batch = []
            while self.rows:
                batch.append(self.rows.popleft())
            try:
                write_rows(batch)
            except Exception:
                REQUEST_LOG_ROWS.labels("dropped").inc(len(batch))
                raise
            return len(batch)

    def start(self) -> None:
        """Start this process's writer thread unless it runs."""
        # A forked gunicorn worker inherits the buffer but not the thread: start its own.
        if self.pid == os.getpid() and self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.pid == os.getpid() and self.thread is not None and self.thread.is_alive():
                return
            if self.pid != os.getpid():
                self.rows.clear()  # the parent's rows are the parent's to write
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, name="scim-request-log", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        # Only while the log is buffered: with the interval set to 0 (rows written in the
        # request) the thread ends instead of spinning, and record() starts one when needed.
        while (seconds := settings.SCIM_REQUEST_LOG_FLUSH_SECONDS) > 0:
            self.wake.wait(seconds)
            self.wake.clear()
            if not self.rows:
                continue
            try:
                self._flush_logged()
            finally:
                # One connection a second at most, none held while idle.
                connection.close()

    # The log is best effort, and this thread must outlive a database restart; an error
    # still reaches the logs (and error tracking) with its traceback.

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.exception("Writing the SCIM request log failed; the rows are dropped.")


buffer = RequestLogBuffer()


def _flush_at_exit() -> None:
    if buffer.pid == os.getpid() and buffer.rows:
        try:
            buffer.flush()
        except Exception:
            logger.exception("Writing the SCIM request log at exit failed.")


atexit.register(_flush_at_exit)


def record(**fields) -> None:
    row = ScimRequest(**fields)
    if settings.SCIM_REQUEST_LOG_FLUSH_SECONDS <= 0:
        write_rows([row])
    else:
        buffer.start()
        buffer.add(row)
