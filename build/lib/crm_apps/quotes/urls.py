"""URLs of the quote pages (/app/quotes/)."""

from django.urls import path

from crm_apps.quotes import views

app_name = "quotes"
urlpatterns = [
    path("", views.QuoteListView.as_view(), name="list"),
    path("new/", views.QuoteCreateView.as_view(), name="create"),
    path("<int:pk>/", views.QuoteDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.QuoteUpdateView.as_view(), name="edit"),
    path("<int:pk>/new-version/", views.QuoteNewVersionView.as_view(), name="new-version"),
    path("<int:pk>/send/", views.QuoteSendView.as_view(), name="send"),
    path("<int:pk>/pdf/", views.QuotePdfView.as_view(), name="pdf"),
    path("<int:pk>/delete/", views.QuoteDeleteView.as_view(), name="delete"),
]
