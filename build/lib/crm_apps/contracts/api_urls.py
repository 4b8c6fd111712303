"""URLs of the contract API (/api/v1/contracts/)."""

from rest_framework.routers import SimpleRouter

from crm_apps.contracts.api import ContractViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")

urlpatterns = router.urls
