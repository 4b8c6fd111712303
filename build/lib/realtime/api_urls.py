"""API routes of the live layer, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from realtime import api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")

urlpatterns = [
    path("notifications/preferences/", api.PreferencesView.as_view(),
         name="notification-preferences"),
    path("announcements/", api.AnnouncementView.as_view(), name="announcements"),
    path("jobs/<uuid:pk>/", api.JobView.as_view(), name="job"),
    *router.urls,
]
