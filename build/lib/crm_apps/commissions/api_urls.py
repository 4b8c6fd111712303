"""URLs of the commission API (/api/v1/commission-plans/, /api/v1/commission-statements/)."""

from rest_framework.routers import SimpleRouter

from crm_apps.commissions.api import CommissionPlanViewSet, CommissionStatementViewSet

router = SimpleRouter()
router.register("commission-plans", CommissionPlanViewSet, basename="commission-plan")
router.register("commission-statements", CommissionStatementViewSet,
                basename="commission-statement")

urlpatterns = router.urls
