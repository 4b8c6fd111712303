"""Purchases app configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasesConfig(AppConfig):
    name = "crm_apps.purchases"
    label = "purchases"
    verbose_name = _("Purchases")
