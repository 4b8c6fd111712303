"""URLs of the forecast page (/app/sales/forecast/)."""

from django.urls import path

from crm_apps.forecast import views

app_name = "forecast"
urlpatterns = [
    path("", views.ForecastPageView.as_view(), name="board"),
]
