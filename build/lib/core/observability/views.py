"""The /metrics endpoint: a bearer token (METRICS_TOKEN), or else direct requests only."""

import hmac
import os

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from core.observability.metrics import CeleryQueueCollector


def _registry() -> CollectorRegistry:
    """All processes' samples in multi-process mode, this process's otherwise; with the queue
    depth read now either way."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(CeleryQueueCollector())
    return registry


class _ProcessRegistry:
    """The default registry (this process's metrics) as one collector of another registry."""

    def collect(self):
        return REGISTRY.collect()


def _authorized(request) -> tuple[bool, int]:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        # A proxy (the Ingress) adds X-Forwarded-For and a client cannot take it away: without
        # a token the figures, which name tenants, are for scrapers inside the cluster only.
        if "x-forwarded-for" in request.headers:
            return False, 404
        return True, 200
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False, 401
    if not hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode()):
        return False, 403
    return True, 200


@require_GET
def metrics(request):
    allowed, status = _authorized(request)
    if not allowed:
        response = HttpResponse(status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
