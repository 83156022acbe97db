"""Every Prometheus metric the product exports, in one place (README, "Metrics").

Below every app, like admin_base: each app counts what it does through these objects, and
commbox_site/metrics.py serves them at /metrics. Under gunicorn each worker writes its
values to PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode, set up in
gunicorn.conf.py) and a scrape adds them up. Labels take values from short fixed lists
(methods, resource types, status classes, reasons, checks): never a tenant, a user or an id.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Latency buckets in seconds: a SCIM lookup takes milliseconds, a page of 200 users tens.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

SCIM_REQUESTS = Counter(
    "commbox_scim_requests",
    "SCIM requests answered, by method, resource type and status class (2xx, 4xx, 5xx).",
    ["method", "resource", "status_class"],
)
SCIM_LATENCY = Histogram(
    "commbox_scim_request_duration_seconds",
    "Time a SCIM view took to answer, by method and resource type.",
    ["method", "resource"],
    buckets=LATENCY_BUCKETS,
)
HTTP_LATENCY = Histogram(
    "commbox_http_request_duration_seconds",
    "Time every request took in the application, by channel (scim, sso, admin, pages).",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)
REFUSED_REQUESTS = Counter(
    "commbox_refused_requests",
    "Requests refused before they reached the directory, by channel and reason "
    "(throttled, no_token, unknown, revoked, token_access_off, ...).",
    ["channel", "reason"],
)
REQUEST_LOG_ROWS = Counter(
    "commbox_request_log_rows",
    "SCIM request-log rows (the Provisioning tab), by outcome: written or dropped.",
    ["outcome"],
)
SSO_SIGN_INS = Counter(
    "commbox_sso_sign_ins",
    "Single sign-on responses, by outcome (signed_in, refused) and the check that refused.",
    ["outcome", "check"],
)
DATABASE_UNAVAILABLE = Counter(
    "commbox_database_unavailable_responses",
    "503 answers given because the database was unreachable, by channel (scim, pages).",
    ["channel"],
)
