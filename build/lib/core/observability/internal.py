"""Liveness, readiness and metrics served ahead of the Host check and of tenancy."""

from django.conf import settings
from django.db import connection
from django.urls import resolve

# Kubelets and Prometheus call the pod by its IP: that Host is in no ALLOWED_HOSTS and is no
# tenant's (production exempts these paths from the HTTPS redirect as well).
INTERNAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class InternalEndpointsMiddleware:
    """Answers INTERNAL_PATHS from the public URLconf before the middleware that checks the
    Host header (CommonMiddleware) or picks a tenant; security headers are already applied."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in INTERNAL_PATHS:
            return self.get_response(request)
        match = resolve(request.path_info, urlconf=settings.PUBLIC_SCHEMA_URLCONF)
        request.resolver_match = match  # the metrics label these by route name, quietly
        request.tenant = None
        connection.set_schema_to_public()
        return match.func(request, *match.args, **match.kwargs)
