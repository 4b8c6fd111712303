"""URLs of the SLA settings pages (/app/settings/service/)."""

from django.urls import path

from crm_apps.service import sla_views
from crm_apps.service.models import BusinessHours, Holiday, SlaPolicy

app_name = "sla"
urlpatterns = [
    path("", sla_views.PolicyListView.as_view(), name="policies"),
    path("policies/<int:pk>/", sla_views.PolicyEditView.as_view(), name="policy-edit"),
    path("policies/<int:pk>/delete/",
         sla_views.DeleteView.as_view(model=SlaPolicy, list_url="sla:policies"),
         name="policy-delete"),
    path("hours/", sla_views.HoursListView.as_view(), name="hours"),
    path("hours/<int:pk>/", sla_views.HoursEditView.as_view(), name="hours-edit"),
    path("hours/<int:pk>/delete/",
         sla_views.DeleteView.as_view(model=BusinessHours, list_url="sla:hours"),
         name="hours-delete"),
    path("holidays/", sla_views.HolidayListView.as_view(), name="holidays"),
    path("holidays/<int:pk>/delete/",
         sla_views.DeleteView.as_view(model=Holiday, list_url="sla:holidays"),
         name="holiday-delete"),
]
