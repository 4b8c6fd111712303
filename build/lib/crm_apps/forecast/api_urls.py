"""API routes of territories, quotas and the forecast, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from crm_apps.forecast import api

router = SimpleRouter()
router.register("territories", api.TerritoryViewSet, basename="territory")
router.register("quotas", api.QuotaViewSet, basename="quota")

urlpatterns = [
    path("forecast/", api.ForecastView.as_view(), name="forecast"),
    path("forecast/history/", api.ForecastHistoryView.as_view(), name="forecast-history"),
    *router.urls,
]
