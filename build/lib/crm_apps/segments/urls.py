"""URLs of the segment pages (/app/segments/)."""

from django.urls import path

from crm_apps.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.SegmentListView.as_view(), name="list"),
    path("new/", views.SegmentFormView.as_view(), name="create"),
    path("<int:pk>/", views.SegmentDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.SegmentFormView.as_view(), name="edit"),
    path("<int:pk>/recompute/", views.SegmentRecomputeView.as_view(), name="recompute"),
    path("<int:pk>/delete/", views.SegmentDeleteView.as_view(), name="delete"),
]
