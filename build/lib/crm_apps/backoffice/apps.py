"""The staff back office shell at /app/: home, navigation, sign-in."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "crm_apps.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")
