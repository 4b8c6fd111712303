"""URLs of the back office (/app/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from core.auth_views import StaffLoginView
from crm_apps.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="backoffice:login"), name="logout"),
]
