"""URLs of the operator API (/api/operator/v1/)."""

from rest_framework.routers import SimpleRouter

from tenants.api import TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="tenant")
app_name = "operator-api"
urlpatterns = router.urls
