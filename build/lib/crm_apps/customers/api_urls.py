"""API routes of customer records, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from crm_apps.customers import api

router = SimpleRouter()
router.register("accounts", api.AccountViewSet, basename="account")
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("teams", api.TeamViewSet, basename="team")
router.register("tags", api.TagViewSet, basename="tag")
router.register("customer-classes", api.CustomerClassViewSet, basename="customer-class")
router.register("audit", api.AuditTrailViewSet, basename="audit")

urlpatterns = router.urls
