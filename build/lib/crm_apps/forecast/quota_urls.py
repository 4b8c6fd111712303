"""URLs of the quota pages (/app/sales/quotas/)."""

from django.urls import path

from crm_apps.forecast import quota_views

app_name = "quotas"
urlpatterns = [
    path("", quota_views.QuotaListView.as_view(), name="list"),
    path("new/", quota_views.QuotaCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", quota_views.QuotaUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", quota_views.QuotaDeleteView.as_view(), name="delete"),
]
