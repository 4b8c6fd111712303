"""API routes of activities and the timeline, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from crm_apps.activities import api

router = SimpleRouter()
router.register("activities", api.ActivityViewSet, basename="activity")

urlpatterns = [
    path("timeline/", api.TimelineView.as_view(), name="timeline"),
    *router.urls,
]
