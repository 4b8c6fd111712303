"""Sales: leads, their assignment and conversion, pipelines with stages, and opportunities."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "crm_apps.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from core import audit
        from crm_apps.customers import binned
        from crm_apps.customization import entities
        from crm_apps.sales.models import Lead, Opportunity

        for model in (Lead, Opportunity):
            audit.register(model)
            entities.register(model)
        binned.register("lead", Lead, _("Leads"))
        binned.register("opportunity", Opportunity, _("Opportunities"))

        # Leads: the "lead.assigned" notification kind, assignment by rules and scoring.
        from crm_apps.sales import (  # noqa: F401 - registrations
            assignment,
            lead_signals,
            lead_tasks,
            prediction_signals,
            prediction_tasks,
        )

        lead_signals.connect()
        prediction_signals.connect()

        # Leads on the import page and API of the customers' import framework.
        from crm_apps.sales import lead_import

        lead_import.register()
