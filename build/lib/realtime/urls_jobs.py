"""Pages of a staff user's background jobs (/app/jobs/)."""

from django.urls import path

from realtime import views

app_name = "jobs"
urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("<uuid:pk>/", views.JobDetailView.as_view(), name="detail"),
    path("<uuid:pk>/errors.csv", views.job_errors_csv, name="errors"),
]
