"""gunicorn settings for production; `gunicorn` in the project directory reads this file.

Every value can be overridden on the command line (`-b`, `-w`, ...) or in GUNICORN_CMD_ARGS.
Graceful restarts: `kill -HUP <master pid>` starts new workers with new code and lets the
old ones finish their requests (up to graceful_timeout); `kill -TERM` stops the same way.
"""

import os
import shutil
import tempfile

from gunicorn.glogging import Logger

from apps.audit.redaction import redact_secrets

wsgi_app = "commbox_site.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
proc_name = "commbox"

# Sync workers: requests are short database round trips. 2 x cores + 1 is gunicorn's
# advice; the cores are the ones this process may run on (a container's CPU set).
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (cores or 1) + 1))
worker_class = "sync"
# Recycle workers now and then, staggered, so no slow leak can grow for ever. Not too often:
# a new worker imports Django and the app afresh (about 0.3 s), and the requests queued
# behind it wait. At 5,000 a worker under a sync's load restarted every few seconds, which
# was the whole 99th percentile of the reads (130-350 ms against 5 ms at the median).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 10

# A worker silent this long is killed and replaced (a request stuck on a dead socket);
# database outages answer 503 within seconds, well inside it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5

# Entra's filters can be long: a 400-term `or` of userNames is about 20 KB of request
# line, over gunicorn's largest finite limit (8190). 0 lifts the per-line limit (gunicorn
# still caps a request head at about 1 MB); the proxy in front must allow as much.
limit_request_line = 0
limit_request_fields = 100
limit_request_field_size = 16380

# The proxy's address may set X-Forwarded-Proto (the app checks X-Forwarded-Proto itself
# through SECURE_PROXY_SSL_HEADER; X-Forwarded-For through TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The app writes one structured line per request (commbox.requests), so gunicorn's own
# access log is off unless GUNICORN_ACCESS_LOG names a file or "-". Its format has the
# path without the query string, tokens blanked, and the request id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn creates its own files there
    # Worker heartbeats on tmpfs: a slow disk cannot make healthy workers look dead.
    worker_tmp_dir = "/dev/shm"  # noqa: S108


# Prometheus metrics (apps/metrics.py) in prometheus-client's multiprocess mode: each worker
# writes its values to files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up. One
# directory per instance (by default named after the address it listens on, -b included),
# set in the master before any worker imports prometheus_client, and emptied when the
# instance starts, so a restart does not count the old workers' values twice.


def on_starting(server):
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        address = "-".join(server.cfg.bind)
        name = "commbox-metrics-" + "".join(c if c.isalnum() else "-" for c in address)
        shm = "/dev/shm"  # noqa: S108 - tmpfs, like worker_tmp_dir below
        base = shm if os.path.isdir(shm) else tempfile.gettempdir()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(base, name)
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, mode=0o700)


def child_exit(server, worker):
    # A worker that is gone: its live gauges stop counting (its counters stay in the sum).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class RedactingLogger(Logger):
    """gunicorn's logger, with API tokens and credentials blanked in the logged path."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q"):
            if key in atoms:
                atoms[key] = redact_secrets(atoms[key])
        return atoms


logger_class = RedactingLogger
