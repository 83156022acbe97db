"""Health checks for the load balancer, and a fast 503 while the database is unreachable."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import JsonResponse
from redis.exceptions import RedisError

from commbox_site.errors import service_unavailable
from commbox_site.metrics import metrics

logger = logging.getLogger(__name__)


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError as error:
        logger.warning("Not ready: database unreachable: %s", error)
        return False


def _cache_ready() -> bool:
    try:
        cache.set("readyz", "1", timeout=10)
        return cache.get("readyz") == "1"
    except (RedisError, OSError) as error:
        logger.warning("Not ready: cache unreachable: %s", error)
        return False


class HealthCheckMiddleware:
    """/healthz (the process answers), /readyz (database and cache answer) and /metrics.

    First in MIDDLEWARE: a load balancer probes and Prometheus scrapes by IP address over
    plain HTTP, so these answer before the host check, the HTTPS redirect, sessions and the
    request log. /metrics checks who asks (commbox_site/metrics.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            if settings.DRAIN_FILE and os.path.exists(settings.DRAIN_FILE):
                # Being taken out of rotation before a restart: the proxy's health check
                # stops sending new requests while this instance still answers them.
                return JsonResponse({"status": "draining"}, status=503)
            return JsonResponse({"status": "ok"})
        if request.path_info == "/metrics":
            return metrics(request)
        if request.path_info == "/readyz":
            checks = {
                "database": "ok" if _database_ready() else "unavailable",
                "cache": "ok" if _cache_ready() else "unavailable",
            }
            ready = all(value == "ok" for value in checks.values())
            return JsonResponse(
                {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A database outage is a 503 with Retry-After (SCIM body on /scim/), not a 500 page.

    The view's transaction has rolled back, so nothing of the request was written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("%s %s: database unavailable: %s", request.method, request.path, exception)
        return service_unavailable(request)
