"""The tenant admin's payments page (/app/settings/payments/): Stripe keys or a connected
account, saved encrypted and shown only by their last four characters."""

from django.contrib import messages
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.models import AuditEntry
from crm_apps.customization.views import TenantAdminMixin
from crm_apps.payments.forms import SECRETS, StripeSettingsForm, platform_offers_connect
from crm_apps.payments.models import StripeAccountSettings
from crm_apps.payments.secrets import last4


class AccountTaken(Exception):
    """Another workspace claimed the connected account between the check and the save."""


def claim_connected_account(account_id: str) -> None:
    """Route ``account_id``'s events to the current tenant, and only this one account."""
    from tenants.models import ConnectedAccount

    tenant = connection.tenant
    ConnectedAccount.objects.filter(tenant_id=tenant.pk).exclude(account_id=account_id).delete()
    if not account_id:
        return
    try:
        with transaction.atomic():
            row, _created = ConnectedAccount.objects.get_or_create(
                account_id=account_id, defaults={"tenant_id": tenant.pk})
    except IntegrityError as error:  # claimed at the same moment by another workspace
        raise AccountTaken from error
    if row.tenant_id != tenant.pk:
        raise AccountTaken


def _visible(row: StripeAccountSettings) -> dict:
    """What the audit trail may keep of the settings: secrets only by their last four."""
    shown = {name: last4(getattr(row, name)) for name in SECRETS}
    return {"mode": row.mode, "connected_account_id": row.connected_account_id, **shown}


class PaymentSettingsView(TenantAdminMixin, TemplateView):
    template_name = "payments/payment_settings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = StripeAccountSettings.current()
        context.setdefault("form", StripeSettingsForm(current=current))
        context["current"] = current
        context["saved"] = {name: last4(getattr(current, name)) for name in SECRETS}
        context["connect_offered"] = platform_offers_connect()
        context["endpoint"] = self.request.build_absolute_uri(
            reverse("stripe-webhooks:receive"))
        return context

    def post(self, request):
        if request.POST.get("action") == "remove":
            return self._remove()
        with transaction.atomic():
            row = (StripeAccountSettings.objects.select_for_update().filter(pk=1).first()
                   or StripeAccountSettings(pk=1))
            form = StripeSettingsForm(request.POST, current=row)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form), status=400)
            before = _visible(row) if row.updated else {}
            row.mode = form.cleaned_data["mode"]
            if row.mode == StripeAccountSettings.Mode.CONNECT:
                row.connected_account_id = form.cleaned_data["connected_account_id"]
            else:
                row.connected_account_id = ""
                for name in SECRETS:
                    if form.cleaned_data[name]:
                        setattr(row, name, form.cleaned_data[name])
            try:
                claim_connected_account(row.connected_account_id)
            except AccountTaken:
                transaction.set_rollback(True)
                form.add_error("connected_account_id", _(
                    "This Stripe account is already connected to another workspace."))
                return self.render_to_response(self.get_context_data(form=form), status=400)
            row.save()
            self._audit(row, before, _visible(row))
        messages.success(request, _("Payment settings saved."))
        return HttpResponseRedirect(reverse("payment-settings:page"))

    def _remove(self):
        with transaction.atomic():
            row = StripeAccountSettings.objects.select_for_update().filter(pk=1).first()
            if row is not None:
                before = _visible(row)
                claim_connected_account("")
                row.delete()
                self._audit(row, before, {}, action=AuditEntry.Action.DELETED)
        messages.success(self.request, _("Stripe is no longer set up; online payments stop."))
        return HttpResponseRedirect(reverse("payment-settings:page"))

    def _audit(self, row, before: dict, after: dict, action=AuditEntry.Action.UPDATED):
        changes = {key: [before.get(key, ""), after.get(key, "")]
                   for key in set(before) | set(after) if before.get(key) != after.get(key)}
        if changes:
            AuditEntry.objects.create(
                record_type=row._meta.label_lower, record_id="1", action=action,
                actor=self.request.user, changes=changes)


app_name = "payment-settings"
urlpatterns = [path("", PaymentSettingsView.as_view(), name="page")]
