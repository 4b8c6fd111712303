"""URLs of the commission pages (/app/commissions/)."""

from django.urls import path

from crm_apps.commissions import views

app_name = "commissions"
urlpatterns = [
    path("", views.StatementListView.as_view(), name="list"),
    path("generate/", views.GenerateView.as_view(), name="generate"),
    path("<int:pk>/", views.StatementDetailView.as_view(), name="detail"),
    path("<int:pk>/recompute/", views.StatementStepView.as_view(step="recompute"),
         name="recompute"),
    path("<int:pk>/submit/", views.StatementStepView.as_view(step="submit"), name="submit"),
    path("<int:pk>/approve/", views.StatementStepView.as_view(step="approve"), name="approve"),
    path("<int:pk>/reject/", views.StatementStepView.as_view(step="reject"), name="reject"),
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/new/", views.PlanEditView.as_view(), name="plan-create"),
    path("plans/<int:pk>/", views.PlanEditView.as_view(), name="plan-edit"),
    path("plans/<int:pk>/delete/", views.PlanDeleteView.as_view(), name="plan-delete"),
]
