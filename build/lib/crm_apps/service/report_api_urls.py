"""API routes of the service reports, mounted under /api/v1/."""

from django.urls import path

from crm_apps.service import report_api

urlpatterns = [
    path("service-reports/csat/", report_api.CsatReportView.as_view(),
         name="service-report-csat"),
    path("service-reports/complaints/", report_api.ComplaintReportView.as_view(),
         name="service-report-complaints"),
]
