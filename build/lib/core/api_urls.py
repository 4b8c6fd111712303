"""The tenant API's URLs (also the scope of its OpenAPI schema)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from core.api import MeView
from core.token_api import PersonalTokenViewSet
from crm_apps.customization.saved_views_api import SavedViewViewSet

router = SimpleRouter()
router.register("tokens", PersonalTokenViewSet, basename="token")
router.register("saved-views", SavedViewViewSet, basename="saved-view")

app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
    path("", include("realtime.api_urls")),
    path("", include("crm_apps.customers.api_urls")),
    path("", include("crm_apps.customization.api_urls")),
    path("", include("crm_apps.customers.import_urls")),
    path("", include("crm_apps.activities.api_urls")),
    path("", include("crm_apps.sales.lead_api_urls")),
    path("", include("crm_apps.forecast.api_urls")),
    path("", include("crm_apps.contracts.api_urls")),
    path("", include("crm_apps.commissions.api_urls")),
    path("", include("crm_apps.quotes.api_urls")),
    path("", include("crm_apps.billing.api_urls")),
    path("", include("crm_apps.segments.api_urls")),
    path("", include("crm_apps.sales.pipeline_api_urls")),
    path("", include("crm_apps.service.report_api_urls")),
    path("", include("crm_apps.service.sla_api_urls")),
    path("", include("crm_apps.service.api_urls")),
]
