"""The invoices' timeline source: each issued invoice on its account's (and contact's)
timeline, at its issue."""

from django.urls import reverse
from django.utils.translation import gettext as _

from crm_apps.activities.timeline import record_filter, register_source
from crm_apps.billing.access import visible_invoices
from crm_apps.billing.models import Invoice


def invoice_items(*, account=None, contact=None, user, before=None, limit=None):
    queryset = visible_invoices(Invoice.objects.filter(record_filter(account, contact))
                                .exclude(status=Invoice.Status.DRAFT), user)
    if before is not None:
        queryset = queryset.filter(created__lte=before)
    queryset = queryset.order_by("-created", "-id")
    if limit:
        queryset = queryset[:limit]
    for invoice in queryset:
        summary = _("%(total)s %(currency)s, %(status)s") % {
            "total": invoice.total, "currency": invoice.currency,
            "status": invoice.get_status_display()}
        yield {"kind": "invoice", "id": invoice.pk, "title": invoice.label,
               "when": invoice.created, "summary": summary,
               "link": reverse("billing:detail", args=[invoice.pk])}


register_source("invoices", invoice_items)
