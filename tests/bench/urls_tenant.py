"""URLs of the tenant benchmark server: the ping view, then every tenant URL of the project."""

from django.urls import path

from core.urls_tenant import urlpatterns as tenant_urlpatterns
from tests.bench.views import ping

urlpatterns = [path("bench/ping", ping, name="bench-ping"), *tenant_urlpatterns]
