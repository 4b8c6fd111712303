"""Settings of the cold-cache benchmark server: every request misses the host caches."""

from tests.bench.tenant_settings import *  # noqa: F403

MIDDLEWARE = [
    "tests.bench.middleware.ColdCacheTenantMiddleware"
    if middleware == "core.tenancy.CachedTenantMiddleware" else middleware
    for middleware in MIDDLEWARE  # noqa: F405
]
# Nothing to forget in the shared cache either: each request goes to the database.
CACHES = {
    **CACHES,  # noqa: F405
    "tenancy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
