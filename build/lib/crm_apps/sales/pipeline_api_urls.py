"""API routes of pipelines, stages and opportunities, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from crm_apps.sales import opportunity_api

router = SimpleRouter()
router.register("pipelines", opportunity_api.PipelineViewSet, basename="pipeline")
router.register("stages", opportunity_api.StageViewSet, basename="stage")
router.register("opportunities", opportunity_api.OpportunityViewSet, basename="opportunity")

urlpatterns = router.urls
