"""The private calendar feed (/calendar/<secret>.ics), outside the signed-in pages."""

from django.urls import path

from crm_apps.activities import feed

urlpatterns = [
    path("<str:token>.ics", feed.serve, name="calendar-feed"),
]
