"""URLs of the customer portal (/portal/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from core.auth_views import CustomerLoginView
from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", CustomerLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="portal:login"), name="logout"),
]
