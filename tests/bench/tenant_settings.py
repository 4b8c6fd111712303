"""Settings of the tenant benchmark server: the project's, with the ping view routed too."""

from core.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls_tenant"
