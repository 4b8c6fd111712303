"""Contracts of accounts: terms, renewal reminders, automatic and manual renewal."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "crm_apps.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self):
        from core import audit
        from crm_apps.contracts import notifications, sources  # noqa: F401 - registrations
        from crm_apps.contracts.models import Contract
        from crm_apps.customers import binned

        audit.register(Contract)
        binned.register("contract", Contract, _("Contracts"))
