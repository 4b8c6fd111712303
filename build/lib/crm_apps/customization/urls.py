"""Settings pages of custom and hidden fields (/app/settings/fields/), tenant admins only."""

from django.urls import path

from crm_apps.customization import views

app_name = "customization"
urlpatterns = [
    path("", views.FieldListView.as_view(), name="field-list"),
    path("new/", views.FieldFormView.as_view(), name="field-create"),
    path("<int:pk>/edit/", views.FieldFormView.as_view(), name="field-edit"),
    path("<int:pk>/delete/", views.FieldDeleteView.as_view(), name="field-delete"),
    path("hidden/", views.HiddenFieldsView.as_view(), name="hidden-fields"),
]
