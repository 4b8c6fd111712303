"""The public schema: tenants, their domains and plans, provisioning and the operator console."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self):
        from tenants import signals  # noqa: F401
