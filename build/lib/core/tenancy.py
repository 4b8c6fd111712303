"""Tenant resolution per request: cached host lookup, suspended tenants, tenant-only middleware."""

import time

from django.core.cache import caches
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

HOST_CACHE_TTL = 300
UNKNOWN_HOST_TTL = 30
# A per-process copy in front of the shared cache saves unpickling the tenant on every request.
# Changes made in this process clear it at once; other processes see them within this time.
LOCAL_TTL = 5.0
# The copy holds at most this many host names, so its memory does not grow with the number of
# tenants a process serves, nor with made-up Host headers (each unknown host is a memo too).
LOCAL_HOSTS_MAX = 512
_MISSING = "missing"
_local_hosts: dict[str, tuple[float, object]] = {}


def _host_key(hostname: str) -> str:
    return f"tenancy:host:{hostname}"


def tenancy_cache():
    """A cache whose keys do not depend on the current schema (unlike the default cache)."""
    return caches["tenancy"]


def forget_hosts(*hostnames: str) -> None:
    """Drop cached lookups for these hosts; called whenever a Domain or Tenant changes."""
    for hostname in hostnames:
        _local_hosts.pop(hostname, None)
    tenancy_cache().delete_many([_host_key(h) for h in hostnames])


def is_public_request(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is None or tenant.schema_name == get_public_schema_name()


def _shared_lookup(hostname: str):
    """The tenant for ``hostname`` from the shared cache or the database, or _MISSING."""
    from django_tenants.utils import get_tenant_domain_model

    cache = tenancy_cache()
    key = _host_key(hostname)
    tenant = cache.get(key)
    if tenant is None:
        domain = (get_tenant_domain_model().objects.select_related("tenant")
                  .filter(domain=hostname).first())
        if domain is None:
            cache.set(key, _MISSING, UNKNOWN_HOST_TTL)
            return _MISSING
        tenant = domain.tenant
        cache.set(key, tenant, HOST_CACHE_TTL)
    return tenant


def _remember(hostname: str, memo: tuple[float, object]) -> None:
    # Re-inserted, a refreshed host moves to the end: the dict's order is oldest lookup first.
    _local_hosts.pop(hostname, None)
    _local_hosts[hostname] = memo
    excess = len(_local_hosts) - LOCAL_HOSTS_MAX
    if excess > 0:
        for oldest in list(_local_hosts)[:excess]:
            _local_hosts.pop(oldest, None)


def tenant_for_hostname(hostname: str):
    """The tenant serving ``hostname`` (per-process memo, shared cache, then the Domain table),
    or None. Reads the public schema: call it with the connection there."""
    now = time.monotonic()
    memo = _local_hosts.get(hostname)
    if memo is None or memo[0] < now:
        memo = (now + LOCAL_TTL, _shared_lookup(hostname))
        _remember(hostname, memo)
    if isinstance(memo[1], str):  # _MISSING, possibly unpickled from the shared cache
        return None
    return memo[1]


class CachedTenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware with the Domain query cached per host name.

    Without the cache every request pays a Domain query, and under ASGI that query also forces
    a database connection for views that would never touch the database.
    """

    def get_tenant(self, domain_model, hostname):
        tenant = tenant_for_hostname(hostname)
        if tenant is None:
            raise domain_model.DoesNotExist
        return tenant

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        tenant = request.tenant
        if tenant.schema_name == get_public_schema_name():
            return None
        if not tenant.is_reachable:
            # A deleted tenant's hosts are gone; a stale cache entry must not revive them.
            return self.no_tenant_found(request, request.get_host())
        if tenant.is_suspended:
            return suspended_response(request, tenant)
        return None


def suspended_response(request, tenant):
    message = _("This workspace is suspended. Contact the platform operator to restore it.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "core/suspended.html", {"tenant_name": tenant.name, "message": message},
                  status=403)


_HOOKS = ("process_request", "process_view", "process_template_response", "process_response",
          "process_exception")


def tenant_only(middleware_class):
    """Wrap a middleware so its hooks run on tenant hosts only (Oscar's and Wagtail's tables
    live there). Each hook is guarded, since Django calls some of them outside ``__call__``."""

    def guard(name, hook):
        def guarded(self, request, *args):
            if is_public_request(request):
                # process_response / process_template_response must hand the response back.
                return args[0] if name in ("process_response", "process_template_response") \
                    else None
            return hook(self, request, *args)

        guarded.__name__ = name
        return guarded

    hooks = {name: guard(name, getattr(middleware_class, name))
             for name in _HOOKS if hasattr(middleware_class, name)}
    return type(f"TenantOnly{middleware_class.__name__}", (middleware_class,), hooks)
