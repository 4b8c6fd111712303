"""Settings of the plain benchmark server: the project's, minus tenant resolution."""

from core.settings import *  # noqa: F403

MIDDLEWARE = [
    middleware
    for middleware in MIDDLEWARE  # noqa: F405
    if middleware != "core.tenancy.CachedTenantMiddleware"
]
ROOT_URLCONF = "tests.bench.urls_plain"
