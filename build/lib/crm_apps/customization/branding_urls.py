"""URL of the tenant admin's branding page (/app/settings/branding/)."""

from django.urls import path

from crm_apps.customization import branding_views

app_name = "branding"
urlpatterns = [
    path("", branding_views.BrandingSettingsView.as_view(), name="settings"),
]
