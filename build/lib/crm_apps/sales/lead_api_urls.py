"""API routes of leads and their rules, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from crm_apps.sales import lead_api, lead_import_api, prediction_api

router = SimpleRouter()
router.register("leads", lead_api.LeadViewSet, basename="lead")
router.register("lead-assignment-rules", lead_api.AssignmentRuleViewSet,
                basename="lead-assignment-rule")
router.register("lead-scoring-rules", lead_api.ScoringRuleViewSet, basename="lead-scoring-rule")
router.register("lead-activity-points", lead_api.ActivityPointsViewSet,
                basename="lead-activity-points")
router.register("lead-score-models", prediction_api.LeadScoreModelViewSet,
                basename="lead-score-model")

urlpatterns = [
    path("imports/leads/", lead_import_api.LeadImportView.as_view(), name="lead-import"),
    path("imports/leads/preview/", lead_import_api.LeadImportPreviewView.as_view(),
         name="lead-import-preview"),
    *router.urls,
]
