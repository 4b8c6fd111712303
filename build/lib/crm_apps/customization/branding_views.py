"""The tenant admin's branding page (/app/settings/branding/): the colour, logo and legal lines
of quotes, invoices and the customer's pages; every change kept in the audit trail."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from core.models import AuditEntry
from crm_apps.customization.forms import BrandingForm
from crm_apps.customization.models import Branding
from crm_apps.customization.views import TenantAdminMixin


def _snapshot(branding: Branding) -> dict:
    return {name: str(getattr(branding, name) or "") for name in BrandingForm.Meta.fields}


class BrandingSettingsView(TenantAdminMixin, FormView):
    template_name = "customization/branding_settings.html"
    form_class = BrandingForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Branding.current()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The stored row, not the form's instance, which holds a refused upload's values.
        context["branding"] = Branding.current()
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    @transaction.atomic
    def form_valid(self, form):
        stored = Branding.objects.select_for_update().filter(pk=1).first() or Branding(pk=1)
        before = _snapshot(stored)
        old_logo = stored.logo.name if stored.logo else ""
        branding = form.save()
        after = _snapshot(branding)
        changes = {name: [before[name], after[name]] for name in after
                   if before[name] != after[name]}
        if changes:
            AuditEntry.objects.create(
                record_type=branding._meta.label_lower, record_id=str(branding.pk),
                action=AuditEntry.Action.UPDATED, actor=self.request.user, changes=changes)
        if old_logo and old_logo != (branding.logo.name or ""):
            storage = branding.logo.storage
            # The replaced file goes once the new one is safely recorded.
            transaction.on_commit(lambda: storage.delete(old_logo))
        messages.success(self.request, _("Branding saved."))
        return HttpResponseRedirect(reverse("branding:settings"))
