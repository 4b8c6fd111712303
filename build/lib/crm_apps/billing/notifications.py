"""Notification kinds of invoices."""

from django.utils.translation import gettext_lazy as _

from realtime import kinds

PAID = kinds.register("invoice.paid", _("Invoices paid online by customers"),
                      audience=kinds.STAFF, email_default=False)
RECEIPT = kinds.register("invoice.receipt", _("Receipts of my invoice payments"),
                         audience=kinds.CUSTOMERS, email_default=False)
