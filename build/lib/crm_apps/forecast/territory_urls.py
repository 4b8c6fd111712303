"""URLs of the territory pages (/app/sales/territories/)."""

from django.urls import path

from crm_apps.forecast import views

app_name = "territories"
urlpatterns = [
    path("", views.TerritoryListView.as_view(), name="list"),
    path("<int:pk>/edit/", views.TerritoryUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.TerritoryDeleteView.as_view(), name="delete"),
    path("reassign/", views.ReassignView.as_view(), name="reassign"),
]
