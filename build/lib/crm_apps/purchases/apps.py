"""Purchases app configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasesConfig(AppConfig):
    name = "crm_apps.purchases"
    label = "purchases"
    verbose_name = _("Purchases")

    def ready(self):
        # Registrations: the order_placed receiver and the contact timeline's order source.
        from crm_apps.purchases import linking, sources  # noqa: F401
