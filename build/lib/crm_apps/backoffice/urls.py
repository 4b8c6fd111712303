"""URLs of the back office (/app/)."""

from django.contrib.auth.views import LogoutView, PasswordResetConfirmView
from django.urls import path, reverse_lazy

from core.auth_views import staff_login
from crm_apps.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("announcements/new/", views.AnnouncementView.as_view(), name="announce"),
    path("login/", staff_login, name="login"),
    path("logout/", LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    path("set-password/<uidb64>/<token>/", PasswordResetConfirmView.as_view(
        template_name="backoffice/set_password.html", post_reset_login=True,
        post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
        success_url=reverse_lazy("backoffice:home")), name="set-password"),
]
