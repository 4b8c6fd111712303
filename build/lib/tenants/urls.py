"""URLs of the operator console (/operator/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from core.auth_views import operator_login
from tenants import views

app_name = "operator"
urlpatterns = [
    path("", views.TenantListView.as_view(), name="tenant-list"),
    path("login/", operator_login, name="login"),
    path("logout/", LogoutView.as_view(next_page="operator:login"), name="logout"),
    path("tenants/new/", views.TenantCreateView.as_view(), name="tenant-create"),
    path("tenants/<int:pk>/<slug:action>/", views.TenantActionView.as_view(),
         name="tenant-action"),
    path("exports/<int:pk>/", views.ExportDownloadView.as_view(), name="export-download"),
    path("settings/", views.PlatformSettingsView.as_view(), name="platform-settings"),
]
