"""URLs of the customer portal (/portal/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from core.auth_views import customer_login
from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", customer_login, name="login"),
    path("logout/", LogoutView.as_view(next_page="portal:login"), name="logout"),
]
