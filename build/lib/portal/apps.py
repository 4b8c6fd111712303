"""The customer self-service portal at /portal/."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Customer portal")

    def ready(self):
        from portal import order_live  # noqa: F401 - connects the order status signal
