"""Service desk: tickets with their conversation, SLA clocks, complaints and satisfaction."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "crm_apps.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self):
        from core import audit

        # Imported for their registrations: notification kinds and the survey's audit hook.
        from crm_apps.service import live, satisfaction, sla_notifications  # noqa: F401
        from crm_apps.service.models import Ticket

        audit.register(Ticket)
