"""The contracts' timeline source: each contract term on its account's (and contact's) timeline."""

from django.urls import reverse
from django.utils.translation import gettext as _

from crm_apps.activities.timeline import record_filter, register_source
from crm_apps.contracts.models import Contract
from crm_apps.customers.visibility import visible


def contract_items(*, account=None, contact=None, user, before=None, limit=None):
    queryset = visible(Contract.objects.filter(record_filter(account, contact)), user)
    if before is not None:
        queryset = queryset.filter(created__lte=before)
    queryset = queryset.order_by("-created", "-id")
    if limit:
        queryset = queryset[:limit]
    for contract in queryset:
        summary = _("%(start)s to %(end)s, %(value)s %(currency)s, %(status)s") % {
            "start": contract.start.isoformat(), "end": contract.end.isoformat(),
            "value": contract.value, "currency": contract.currency,
            "status": contract.get_status_display()}
        yield {"kind": "contract", "id": contract.pk, "title": str(contract),
               "when": contract.created, "summary": summary,
               "link": reverse("contracts:detail", args=[contract.pk])}


register_source("contracts", contract_items)
