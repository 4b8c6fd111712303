"""URL of the tenant admin's audit trail page (/app/settings/audit/)."""

from django.urls import path

from crm_apps.customers import history_views

app_name = "audit"
urlpatterns = [
    path("", history_views.AuditTrailView.as_view(), name="trail"),
]
