"""URLs of the plain (tenancy-free) benchmark server: the ping view only."""

from django.urls import path

from tests.bench.views import ping

urlpatterns = [path("bench/ping", ping, name="bench-ping")]
