"""Recommendations app configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "store.recommendations"
    label = "recommendations"
    verbose_name = _("Product recommendations")
    default_auto_field = "django.db.models.BigAutoField"
