"""URLs of the activity pages (/app/activities/)."""

from django.urls import path, re_path

from crm_apps.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.ActivityListView.as_view(), name="list"),
    path("today/", views.MyDayView.as_view(), name="today"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/feed/", views.FeedSettingsView.as_view(), name="feed"),
    path("timeline/", views.TimelinePageView.as_view(), name="timeline"),
    path("email/", views.EmailComposeView.as_view(), name="email"),
    re_path(r"^new/(?P<kind>task|call|meeting|note|email)/$",
            views.ActivityCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ActivityDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ActivityUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.ActivityDeleteView.as_view(), name="delete"),
    path("<int:pk>/done/", views.TaskDoneView.as_view(), name="done"),
]
