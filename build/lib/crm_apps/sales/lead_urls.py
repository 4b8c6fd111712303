"""URLs of the lead pages (/app/sales/leads/)."""

from django.urls import path

from crm_apps.sales import lead_list_actions, lead_views

app_name = "sales-leads"
urlpatterns = [
    path("", lead_views.LeadListView.as_view(), name="lead-list"),
    path("new/", lead_views.LeadCreateView.as_view(), name="lead-create"),
    path("bulk/", lead_list_actions.LeadBulkView.as_view(), name="lead-bulk"),
    path("export/", lead_list_actions.LeadExportView.as_view(), name="lead-export"),
    path("<int:pk>/", lead_views.LeadDetailView.as_view(), name="lead-detail"),
    path("<int:pk>/edit/", lead_views.LeadUpdateView.as_view(), name="lead-edit"),
    path("<int:pk>/convert/", lead_views.LeadConvertView.as_view(), name="lead-convert"),
    path("<int:pk>/reassign/", lead_views.LeadReassignView.as_view(), name="lead-reassign"),
]
