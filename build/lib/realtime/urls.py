"""Pages of notifications (staff and customers) and of background jobs (staff)."""

from django.urls import path

from realtime import views

app_name = "notifications"
urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
]
