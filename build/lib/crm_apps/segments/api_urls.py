"""URLs of the segment API (/api/v1/segments/)."""

from rest_framework.routers import SimpleRouter

from crm_apps.segments.api import SegmentViewSet

router = SimpleRouter()
router.register("segments", SegmentViewSet, basename="segment")

urlpatterns = router.urls
