"""What the lead list posts or downloads: bulk actions on a selection (reassign, change status,
export, move to the bin) and the export of the filtered list, on the mechanism of the account
and contact lists (customers.list_actions)."""

from django.contrib import messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import acting_as
from crm_apps.customers.list_actions import BulkActionView, ExportListView, _back_to
from crm_apps.customers.views import VisibleMixin
from crm_apps.customers.visibility import visible
from crm_apps.sales.lead_views import LeadListView
from crm_apps.sales.models import Lead

BULK_STATUSES = [code for code in Lead.Status.values if code != Lead.Status.CONVERTED]
REASON_LENGTH = Lead._meta.get_field("disqualified_reason").max_length
NOT_FILTERS = ("page", "file")


@transaction.atomic
def change_status(user, ids: list[int], *, status: str, reason: str = "") -> dict:
    """Give the selected leads ``user`` may see a new status (a converted lead keeps its
    own). Saved one by one, so each change is in the lead's history and rescored."""
    leads = list(visible(Lead.objects.filter(pk__in=ids), user)
                 .exclude(status=Lead.Status.CONVERTED).select_for_update(of=("self",)))
    for lead in leads:
        lead.status = status
        lead.disqualified_reason = reason if status == Lead.Status.DISQUALIFIED else ""
        lead.save(update_fields=["status", "disqualified_reason", "updated"])
    return {"action": "status", "changed": len(leads), "skipped": len(set(ids)) - len(leads)}


class LeadListing:
    """The lead list replayed on a query string, as the list actions expect of a list."""

    def __init__(self, lister: LeadListView, query):
        self.lister, self.query = lister, query
        self.params = query.copy()
        for key in NOT_FILTERS:
            self.params.pop(key, None)

    def filtered_queryset(self):
        return self.lister.filtered(self.params)

    def related(self, queryset):
        return queryset.select_related("owner", "team", "account", "contact")


class LeadActionMixin(VisibleMixin):
    model = Lead
    list_url = "sales-leads:lead-list"
    detail_url = "sales-leads:lead-detail"

    def listing(self, query):
        lister = LeadListView()
        lister.setup(self.request)
        return LeadListing(lister, query)


class LeadBulkView(LeadActionMixin, BulkActionView):
    """POST from the lead list: an action on the ticked leads or on every lead matching the
    list's filters; leads the user may not see are skipped, whatever ids are posted."""

    actions = ("reassign", "status", "export", "delete")

    def do_status(self, data, ids, query):
        status = data.get("status", "")
        reason = data.get("reason", "").strip()
        if status not in BULK_STATUSES:
            messages.error(self.request, _("Choose the new status."))
        elif status == Lead.Status.DISQUALIFIED and not reason:
            messages.error(self.request, _("Say why the leads are disqualified."))
        elif len(reason) > REASON_LENGTH:
            messages.error(self.request, _("Keep the reason under %(limit)d characters.")
                           % {"limit": REASON_LENGTH})
        else:
            with acting_as(self.request.user):
                result = change_status(self.request.user, ids, status=status, reason=reason)
            self.report(result, ngettext(
                "%(count)d lead is now “%(status)s”.", "%(count)d leads are now “%(status)s”.",
                result["changed"]) % {"count": result["changed"],
                                      "status": Lead.Status(status).label})
        return _back_to(self.list_url, query)


class LeadExportView(LeadActionMixin, ExportListView):
    """GET: the lead list as filtered and sorted on the page, as CSV or XLSX (audited)."""
