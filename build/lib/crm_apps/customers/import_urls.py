"""API routes of the contact and account imports, mounted under /api/v1/."""

from django.urls import path

from crm_apps.customers import import_api

urlpatterns = [
    path("imports/contacts/", import_api.ContactImportView.as_view(), name="contact-import"),
    path("imports/contacts/preview/", import_api.ContactImportPreviewView.as_view(),
         name="contact-import-preview"),
    path("imports/accounts/", import_api.AccountImportView.as_view(), name="account-import"),
    path("imports/accounts/preview/", import_api.AccountImportPreviewView.as_view(),
         name="account-import-preview"),
    path("imports/<uuid:pk>/report/", import_api.ImportReportView.as_view(),
         name="import-report"),
]
