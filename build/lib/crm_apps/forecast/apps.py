"""Territories, quotas and the sales forecast."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastConfig(AppConfig):
    name = "crm_apps.forecast"
    label = "forecast"
    verbose_name = _("Forecast")
