"""URLs of the contract pages (/app/contracts/)."""

from django.urls import path

from crm_apps.contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.ContractListView.as_view(), name="list"),
    path("new/", views.ContractCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ContractUpdateView.as_view(), name="edit"),
    path("<int:pk>/renew/", views.ContractRenewView.as_view(), name="renew"),
    path("<int:pk>/delete/", views.ContractDeleteView.as_view(), name="delete"),
]
