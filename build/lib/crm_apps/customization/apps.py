"""Custom fields, hidden fields and saved views, shared by every kind of record."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomizationConfig(AppConfig):
    name = "crm_apps.customization"
    label = "customization"
    verbose_name = _("Customisation")
