"""The quotes' timeline source: each quote version on its account's (and contact's) timeline."""

from django.urls import reverse
from django.utils.translation import gettext as _

from crm_apps.activities.timeline import record_filter, register_source
from crm_apps.customers.visibility import visible
from crm_apps.quotes.models import Quote


def quote_items(*, account=None, contact=None, user, before=None, limit=None):
    queryset = visible(Quote.objects.filter(record_filter(account, contact)), user)
    if before is not None:
        queryset = queryset.filter(created__lte=before)
    queryset = queryset.order_by("-created", "-id")
    if limit:
        queryset = queryset[:limit]
    for quote in queryset:
        summary = _("%(total)s %(currency)s, %(status)s") % {
            "total": quote.total, "currency": quote.currency,
            "status": quote.get_status_display()}
        yield {"kind": "quote", "id": quote.pk, "title": str(quote), "when": quote.created,
               "summary": summary, "link": reverse("quotes:detail", args=[quote.pk])}


register_source("quotes", quote_items)
