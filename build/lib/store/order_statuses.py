"""Readable, translated names of the order statuses in settings.OSCAR_ORDER_STATUS_PIPELINE
(Oscar stores the English code on the order)."""

from django.utils.translation import pgettext_lazy

LABELS = {
    "Pending": pgettext_lazy("order status", "Pending"),
    "Pending payment": pgettext_lazy("order status", "Pending payment"),
    "Payment failed": pgettext_lazy("order status", "Payment failed"),
    "Being processed": pgettext_lazy("order status", "Being processed"),
    "Shipped": pgettext_lazy("order status", "Shipped"),
    "Complete": pgettext_lazy("order status", "Complete"),
    "Cancelled": pgettext_lazy("order status", "Cancelled"),
}


def status_label(status: str):
    """The reader's name for ``status`` (lazy: notifications render it in the recipient's
    language); a status a tenant added itself shows as stored."""
    return LABELS.get(status, status)
