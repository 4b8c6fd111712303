"""Invoices of customer accounts: numbering, payments, refunds, PDF, e-mail and statements."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "crm_apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from core import audit
        from crm_apps.billing import notifications, sources  # noqa: F401 - registrations
        from crm_apps.billing.models import Invoice, Payment, Refund
        from crm_apps.billing.stripe_apply import record_invoice_payments, record_refund
        from crm_apps.payments import appliers

        for model in (Invoice, Payment, Refund):
            audit.register(model)
        appliers.register("invoices", succeeded=record_invoice_payments, refunded=record_refund)
