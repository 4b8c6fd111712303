"""URLs of the import pages (/app/customers/import/)."""

from django.urls import path

from crm_apps.customers import import_views

app_name = "customer-imports"
urlpatterns = [
    path("", import_views.ImportStartView.as_view(), name="start"),
    path("reports/<uuid:pk>/errors.csv", import_views.ImportReportView.as_view(),
         name="report"),
    path("<str:token>/", import_views.ImportMappingView.as_view(), name="mapping"),
]
