"""Settings of the cold-cache benchmark server: every request misses the host cache."""

from tests.bench.tenant_settings import *  # noqa: F403

# A dummy cache forgets every entry, so each request pays django-tenants' Domain query.
CACHES = {
    **CACHES,  # noqa: F405
    "tenancy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
