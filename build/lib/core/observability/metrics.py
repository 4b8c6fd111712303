"""Prometheus metrics: HTTP requests by route (never the raw path), websocket connections and
the Celery queue depth read from Redis at scrape time.

With PROMETHEUS_MULTIPROC_DIR set (several uvicorn workers), every process writes its samples
to files in that directory and a scrape of any process aggregates them all.
"""

import logging
import os
import threading
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django_tenants.utils import get_public_schema_name
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

access_log = logging.getLogger("core.access")

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
OTHER_TENANTS = "other"
# Probes and scrapes arrive every few seconds: counted, but kept out of the access log.
QUIET_ROUTES = frozenset({"healthz", "readyz", "metrics"})
PUBLIC_TENANT = "public"

HTTP_REQUESTS = Counter(
    "crm_http_requests", "HTTP requests served, by method, route name, status class and tenant.",
    ["method", "route", "status", "tenant"])
# No tenant label here: every label set multiplies the histogram's buckets.
HTTP_LATENCY = Histogram(
    "crm_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
WEBSOCKET_CONNECTIONS = Gauge(
    "crm_websocket_connections", "Open notification websockets.",
    multiprocess_mode="livesum")


class TenantLabels:
    """Bounds the tenant label: the first ``limit`` tenants seen by a process keep their
    schema name, later ones count as "other", so thousands of tenants cannot blow up the
    number of series."""

    def __init__(self, limit: int):
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def label(self, schema_name: str | None) -> str:
        if not schema_name or schema_name == get_public_schema_name():
            return PUBLIC_TENANT
        if schema_name in self.seen:
            return schema_name
        with self.lock:
            if len(self.seen) < self.limit:
                self.seen.add(schema_name)
                return schema_name
        return OTHER_TENANTS


tenant_labels = TenantLabels(int(os.environ.get("METRICS_TENANT_LABEL_LIMIT", "50")))


def route_of(request) -> str:
    """The resolved view's name, or its URL pattern when unnamed, or "unmatched": values from
    the URL configuration only, so ids in paths never become labels."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED_ROUTE
    return match.view_name or match.route or UNMATCHED_ROUTE


def status_class(status_code: int) -> str:
    return f"{status_code // 100}xx"


def websocket_opened() -> None:
    WEBSOCKET_CONNECTIONS.inc()


def websocket_closed() -> None:
    WEBSOCKET_CONNECTIONS.dec()


class RequestMetricsMiddleware:
    """Counts and times every response, and writes one access log line (logger core.access)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started = time.perf_counter()
        response = self.get_response(request)
        self.observe(request, response, time.perf_counter() - started)
        return response

    async def __acall__(self, request):
        started = time.perf_counter()
        response = await self.get_response(request)
        self.observe(request, response, time.perf_counter() - started)
        return response

    @staticmethod
    def observe(request, response, seconds: float) -> None:
        method = request.method if request.method in KNOWN_METHODS else "other"
        route = route_of(request)
        status = status_class(response.status_code)
        tenant = getattr(request, "tenant", None)
        tenant_label = tenant_labels.label(getattr(tenant, "schema_name", None))
        HTTP_REQUESTS.labels(method, route, status, tenant_label).inc()
        HTTP_LATENCY.labels(method, route, status).observe(seconds)
        if route not in QUIET_ROUTES and access_log.isEnabledFor(logging.INFO):
            access_log.info("%s %s %s", method, route, response.status_code, extra={
                "method": method, "route": route, "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1)})


def celery_queue_key() -> str:
    """The Redis list holding the default queue's messages (kombu adds the global prefix)."""
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    return f"{prefix}{settings.CELERY_TASK_DEFAULT_QUEUE}"


class CeleryQueueCollector:
    """Reads the default queue's length from Redis when scraped (nothing when REDIS_URL is
    unset or Redis does not answer: the scrape must not fail because of it)."""

    def collect(self):
        broker = settings.CELERY_BROKER_URL or settings.REDIS_URL
        if not settings.REDIS_URL or not broker.startswith(("redis://", "rediss://")):
            return
        try:
            import redis

            client = redis.Redis.from_url(broker, socket_timeout=1, socket_connect_timeout=1)
            depth = client.llen(celery_queue_key())
        except Exception:
            return
        family = GaugeMetricFamily("crm_celery_queue_depth",
                                   "Messages waiting in the default Celery queue.",
                                   labels=["queue"])
        family.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], depth)
        yield family
