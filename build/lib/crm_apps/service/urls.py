"""URLs of the desk pages (/app/service/)."""

from django.urls import path

from crm_apps.service import attachments, views

app_name = "service"
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("new/", views.NewTicketView.as_view(), name="create"),
    path("<int:pk>/", views.TicketView.as_view(), name="ticket-detail"),
    path("<int:pk>/reply/", views.ReplyView.as_view(), name="reply"),
    path("<int:pk>/controls/", views.ControlsView.as_view(), name="controls"),
    path("<int:pk>/complaint/", views.ComplaintView.as_view(), name="complaint"),
    path("<int:pk>/sign-off/", views.SignOffView.as_view(), name="sign-off"),
    path("<int:pk>/merge/", views.MergeView.as_view(), name="merge"),
    path("<int:pk>/link/", views.LinkView.as_view(), name="link"),
    path("attachments/<int:pk>/", attachments.download, name="attachment"),
    path("canned/", views.CannedReplyListView.as_view(), name="canned-list"),
    path("canned/new/", views.CannedReplyEditView.as_view(), name="canned-create"),
    path("canned/<int:pk>/", views.CannedReplyEditView.as_view(), name="canned-edit"),
    path("canned/<int:pk>/delete/", views.CannedReplyDeleteView.as_view(),
         name="canned-delete"),
]
