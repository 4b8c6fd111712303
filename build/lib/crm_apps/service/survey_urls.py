"""URLs of the customer's satisfaction survey (/survey/<token>/), reached without a login."""

from django.urls import path

from crm_apps.service import survey_views

app_name = "survey"
urlpatterns = [
    path("<str:token>/", survey_views.SurveyView.as_view(), name="answer"),
]
