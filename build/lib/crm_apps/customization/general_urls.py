"""URL of the tenant admin's general settings page (/app/settings/general/)."""

from django.urls import path

from crm_apps.customization import views

app_name = "tenant-settings"
urlpatterns = [
    path("", views.GeneralSettingsView.as_view(), name="general"),
]
