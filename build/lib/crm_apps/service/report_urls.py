"""URLs of the service report pages (/app/service/reports/)."""

from django.urls import path

from crm_apps.service import report_views

app_name = "service-reports"
urlpatterns = [
    path("", report_views.CsatReportPage.as_view(), name="csat"),
    path("complaints/", report_views.ComplaintReportPage.as_view(), name="complaints"),
]
