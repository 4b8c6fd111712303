"""The bin: accounts and contacts deleted in the last 30 days, restorable by a tenant admin."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.audit import acting_as
from core.models import AuditEntry
from core.permissions import RoleRequiredMixin
from core.roles import TENANT_ADMIN
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.tasks import BIN_DAYS
from crm_apps.customers.views import label_of

KINDS = {"account": Account, "contact": Contact}
SHOWN = 200  # per kind, newest first; the nightly task removes older ones anyway


def bin_cutoff():
    return timezone.now() - timedelta(days=BIN_DAYS)


def in_bin(model):
    return model.everything.filter(deleted_at__isnull=False, deleted_at__gte=bin_cutoff())


class AdminOnlyMixin(RoleRequiredMixin):
    required_roles = (TENANT_ADMIN,)


class BinView(AdminOnlyMixin, TemplateView):
    template_name = "customers/bin.html"

    def entries(self, model) -> list[dict]:
        records = list(in_bin(model).order_by("-deleted_at", "-id")[:SHOWN])
        deleters = {}
        # Who deleted each one: the latest "deleted" entry of its audit trail.
        for entry in (AuditEntry.objects.filter(
                record_type=model._meta.label_lower, action=AuditEntry.Action.DELETED,
                record_id__in=[str(record.pk) for record in records])
                .select_related("actor").order_by("at", "id")):
            deleters[entry.record_id] = entry.actor
        return [{"record": record, "label": label_of(record),
                 "by": deleters.get(str(record.pk)),
                 "until": record.deleted_at + timedelta(days=BIN_DAYS)} for record in records]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(days=BIN_DAYS, shown=SHOWN, sections=[
            (_("Accounts"), self.entries(Account), "account"),
            (_("Contacts"), self.entries(Contact), "contact")])
        return context


class RestoreView(AdminOnlyMixin, View):
    """POST ``kind`` (account or contact) and ``id``: take the record out of the bin."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        model = KINDS.get(request.POST.get("kind", ""))
        record_id = request.POST.get("id", "")
        if model is None or not record_id.isdigit():
            raise Http404
        record = in_bin(model).filter(pk=record_id).first()
        if record is None:
            raise Http404
        record.deleted_at = None
        with acting_as(request.user):
            record.save(update_fields=["deleted_at", "updated"])
        messages.success(request, _("“%(name)s” restored.") % {"name": label_of(record)})
        return HttpResponseRedirect(reverse("customers:bin"))
