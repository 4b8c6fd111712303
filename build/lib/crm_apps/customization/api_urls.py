"""API routes of custom fields and hidden fields, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from crm_apps.customization import api

router = SimpleRouter()
router.register("custom-fields", api.CustomFieldViewSet, basename="custom-field")
router.register("hidden-fields", api.FieldRestrictionViewSet, basename="hidden-field")

urlpatterns = router.urls
