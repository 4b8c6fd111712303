"""The tenant admin's e-mail page (/app/settings/service/email/): the inbound address, the
relay's endpoint, and the secret it presents (rotated here, shown once)."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from core.models import AuditEntry
from crm_apps.customization.views import TenantAdminMixin
from crm_apps.service.inbound_models import InboundMailbox


class InboundAddressForm(forms.ModelForm):
    class Meta:
        model = InboundMailbox
        fields = ["address"]
        labels = {"address": gettext_lazy("Use another address")}
        widgets = {"address": forms.EmailInput(attrs={"class": "form-control",
                                                      "autocomplete": "off"})}


class MailSettingsView(TenantAdminMixin, TemplateView):
    template_name = "service/mail_settings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mailbox = InboundMailbox.current()
        context.setdefault("form", InboundAddressForm(instance=mailbox))
        context["mailbox"] = mailbox
        context["endpoint"] = self.request.build_absolute_uri(reverse("inbound-mail:receive"))
        return context

    @transaction.atomic
    def post(self, request):
        mailbox = (InboundMailbox.objects.select_for_update().filter(pk=1).first()
                   or InboundMailbox(pk=1))
        if request.POST.get("action") == "rotate":
            secret = mailbox.rotate_secret()
            self._audit(mailbox, {"secret": ["…", gettext_lazy("rotated")]})
            return self.render_to_response(self.get_context_data(new_secret=secret))
        before = mailbox.address
        form = InboundAddressForm(request.POST, instance=mailbox)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        form.save()
        if before != mailbox.address:
            self._audit(mailbox, {"address": [before, mailbox.address]})
        messages.success(request, _("Inbound address saved."))
        return HttpResponseRedirect(reverse("service-mail-settings:page"))

    def _audit(self, mailbox, changes):
        AuditEntry.objects.create(
            record_type=mailbox._meta.label_lower, record_id=str(mailbox.pk),
            action=AuditEntry.Action.UPDATED, actor=self.request.user,
            changes={key: [str(value) for value in pair] for key, pair in changes.items()})


app_name = "service-mail-settings"
urlpatterns = [path("", MailSettingsView.as_view(), name="page")]
