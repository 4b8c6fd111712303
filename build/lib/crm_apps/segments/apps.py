"""Segments app configuration: connects the events that refresh memberships."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "crm_apps.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self):
        from crm_apps.segments import signals

        signals.connect()
