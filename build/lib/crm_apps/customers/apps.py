"""Customer records: accounts, contacts, teams, tags and customer classes."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "crm_apps.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from core import audit
        from crm_apps.customers import binned
        from crm_apps.customers.models import Account, Contact
        from crm_apps.customers.views import label_of
        from crm_apps.customization import entities

        for model in (Account, Contact):
            audit.register(model)
            entities.register(model)
        binned.register("account", Account, _("Accounts"), label_of)
        binned.register("contact", Contact, _("Contacts"), label_of)
