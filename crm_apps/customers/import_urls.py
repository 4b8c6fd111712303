"""API routes of the contact import, mounted under /api/v1/."""

from django.urls import path

from crm_apps.customers import import_api

urlpatterns = [
    path("imports/contacts/", import_api.ContactImportView.as_view(), name="contact-import"),
    path("imports/contacts/preview/", import_api.ContactImportPreviewView.as_view(),
         name="contact-import-preview"),
]
