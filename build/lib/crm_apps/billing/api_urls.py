"""URLs of the invoice API (/api/v1/invoices/, /api/v1/statements/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from crm_apps.billing.api import InvoiceViewSet, StatementView

router = SimpleRouter()
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = [*router.urls,
               path("statements/", StatementView.as_view(), name="statement")]
