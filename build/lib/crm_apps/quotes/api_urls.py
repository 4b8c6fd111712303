"""URLs of the quote API (/api/v1/quotes/, /api/v1/catalogue-products/)."""

from rest_framework.routers import SimpleRouter

from crm_apps.quotes.api import CatalogueProductViewSet, QuoteViewSet

router = SimpleRouter()
router.register("quotes", QuoteViewSet, basename="quote")
router.register("catalogue-products", CatalogueProductViewSet, basename="catalogue-product")

urlpatterns = router.urls
