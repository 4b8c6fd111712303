"""The tenant API's URLs (also the scope of its OpenAPI schema)."""

from django.urls import include, path

from core.api import MeView

app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include("realtime.api_urls")),
    path("", include("crm_apps.customers.api_urls")),
]
