"""Quotes with line items, versions, a branded PDF, and acceptance into an Oscar order."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "crm_apps.quotes"
    label = "quotes"
    verbose_name = _("Quotes")

    def ready(self):
        from core import audit
        from crm_apps.customers import binned
        from crm_apps.quotes import notifications, sources  # noqa: F401 - registrations
        from crm_apps.quotes.models import Quote

        audit.register(Quote)
        binned.register("quote", Quote, _("Quotes"))
