"""Live notifications over websockets (Channels), notification preferences and job progress."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = _("Live notifications")

    def ready(self):
        from realtime import events, kinds  # noqa: F401 - registers kinds and receivers
