"""URLs of the customer portal (/portal/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from core.auth_views import customer_login
from portal import quote_views, views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", customer_login, name="login"),
    path("logout/", LogoutView.as_view(next_page="portal:login"), name="logout"),
    path("quotes/<str:token>/", quote_views.QuoteDetailView.as_view(), name="quote"),
    path("quotes/<str:token>/pdf/", quote_views.QuotePdfView.as_view(), name="quote-pdf"),
    path("quotes/<str:token>/accept/", quote_views.QuoteAcceptView.as_view(),
         name="quote-accept"),
    path("quotes/<str:token>/decline/", quote_views.QuoteDeclineView.as_view(),
         name="quote-decline"),
    path("logo/", quote_views.brand_logo, name="brand-logo"),
]
