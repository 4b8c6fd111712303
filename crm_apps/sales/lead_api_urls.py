"""API routes of leads and their rules, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from crm_apps.sales import lead_api

router = SimpleRouter()
router.register("leads", lead_api.LeadViewSet, basename="lead")
router.register("lead-assignment-rules", lead_api.AssignmentRuleViewSet,
                basename="lead-assignment-rule")
router.register("lead-scoring-rules", lead_api.ScoringRuleViewSet, basename="lead-scoring-rule")
router.register("lead-activity-points", lead_api.ActivityPointsViewSet,
                basename="lead-activity-points")

urlpatterns = router.urls
