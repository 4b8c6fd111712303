"""Stripe payments: per-tenant keys or Connect, our payment records and verified webhook events."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "crm_apps.payments"
    label = "payments"
    verbose_name = _("Payments")
