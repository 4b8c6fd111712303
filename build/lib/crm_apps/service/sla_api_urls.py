"""URLs of the SLA settings API (mounted under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from crm_apps.service import sla_api

router = SimpleRouter()
router.register("sla-policies", sla_api.SlaPolicyViewSet, basename="sla-policy")
router.register("business-hours", sla_api.BusinessHoursViewSet, basename="business-hours")
router.register("holidays", sla_api.HolidayViewSet, basename="holiday")

urlpatterns = router.urls
