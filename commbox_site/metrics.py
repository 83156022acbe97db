"""/metrics for Prometheus: the counters of apps/metrics.py, added up over every worker.

Answered first in the middleware chain, like the health checks: Prometheus scrapes each
instance by address over plain http. Readable only with `Authorization: Bearer
<METRICS_TOKEN>` or from one of METRICS_ALLOWED_ADDRESSES (the client address as sign-in
throttling reads it, so behind the proxy the real client's); with neither set, 404.
"""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from apps.portal.throttling import client_address


def _may_read(request) -> bool:
    if settings.METRICS_TOKEN:
        sent = request.META.get("HTTP_AUTHORIZATION", "").encode()
        if hmac.compare_digest(sent, f"Bearer {settings.METRICS_TOKEN}".encode()):
            return True
    return client_address(request) in settings.METRICS_ALLOWED_ADDRESSES


def metrics(request) -> HttpResponse:
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_ADDRESSES:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    if not _may_read(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # gunicorn's workers each write their own files (gunicorn.conf.py): add them up.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
