"""The History card of a record page: ``{% record_history object request.user %}``."""

from django import template
from django.urls import reverse

from core import audit
from crm_apps.customers import history

register = template.Library()

LATEST = 10


@register.inclusion_tag("customers/_history_card.html")
def record_history(record, user) -> dict:
    """The latest entries of ``record``'s audit trail as ``user`` may read them, and a link to
    the whole of it."""
    entries = list(audit.history(record)[:LATEST])
    kind = record._meta.model_name  # "account" or "contact"
    return {"rows": history.describe(entries, user),
            "full_url": reverse(f"customers:{kind}-history", args=[record.pk])}
