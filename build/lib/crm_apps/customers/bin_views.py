"""The bin's pages: records deleted in the last 30 days, restorable by a tenant admin."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.audit import acting_as
from core.models import AuditEntry
from core.permissions import RoleRequiredMixin
from core.roles import TENANT_ADMIN
from crm_apps.customers.binned import BIN_DAYS, in_bin, kinds

SHOWN = 200  # per kind, newest first; the nightly task removes older ones anyway


class AdminOnlyMixin(RoleRequiredMixin):
    required_roles = (TENANT_ADMIN,)


class BinView(AdminOnlyMixin, TemplateView):
    template_name = "customers/bin.html"

    def entries(self, model, label) -> list[dict]:
        records = list(in_bin(model).order_by("-deleted_at", "-id")[:SHOWN])
        deleters = {}
        # Who deleted each one: the latest "deleted" entry of its audit trail.
        for entry in (AuditEntry.objects.filter(
                record_type=model._meta.label_lower, action=AuditEntry.Action.DELETED,
                record_id__in=[str(record.pk) for record in records])
                .select_related("actor").order_by("at", "id")):
            deleters[entry.record_id] = entry.actor
        return [{"record": record, "label": label(record),
                 "by": deleters.get(str(record.pk)),
                 "until": record.deleted_at + timedelta(days=BIN_DAYS)} for record in records]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(days=BIN_DAYS, shown=SHOWN, sections=[
            (title, self.entries(model, label), kind)
            for kind, (model, title, label) in kinds().items()])
        return context


class RestoreView(AdminOnlyMixin, View):
    """POST ``kind`` (account, contact, activity, ...) and ``id``: take the record out of the
    bin."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        model, _title, label = kinds().get(request.POST.get("kind", ""), (None, None, None))
        record_id = request.POST.get("id", "")
        if model is None or not record_id.isdigit():
            raise Http404
        record = in_bin(model).filter(pk=record_id).first()
        if record is None:
            raise Http404
        record.deleted_at = None
        with acting_as(request.user):
            record.save(update_fields=["deleted_at", "updated"])
        messages.success(request, _("“%(name)s” restored.") % {"name": label(record)})
        return HttpResponseRedirect(reverse("customers:bin"))
