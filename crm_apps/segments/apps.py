"""Segments app configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "crm_apps.segments"
    label = "segments"
    verbose_name = _("Segments")
