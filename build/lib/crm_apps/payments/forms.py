"""The tenant admin's Stripe form: own keys (entered once, kept encrypted, never shown again) or
the id of an account connected to the platform (claimed by one tenant only)."""

import re

from django import forms
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from crm_apps.payments.models import StripeAccountSettings
from crm_apps.payments.secrets import last4

ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]{6,60}$")
# Each secret: its field, the prefixes Stripe gives it, and whether payments need it.
SECRETS = {
    "secret_key": (("sk_", "rk_"), True),
    "publishable_key": (("pk_",), False),
    "webhook_secret": (("whsec_",), True),
}


def platform_offers_connect() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


class StripeSettingsForm(forms.Form):
    mode = forms.ChoiceField(label=_("How this workspace takes payments"),
                             choices=StripeAccountSettings.Mode.choices,
                             widget=forms.RadioSelect)
    secret_key = forms.CharField(label=_("Secret key"), required=False, max_length=255,
                                 strip=True)
    publishable_key = forms.CharField(label=_("Publishable key"), required=False,
                                      max_length=255, strip=True)
    webhook_secret = forms.CharField(label=_("Webhook signing secret"), required=False,
                                     max_length=255, strip=True)
    connected_account_id = forms.CharField(label=_("Connected account ID"), required=False,
                                           max_length=64, strip=True)

    def __init__(self, *args, current: StripeAccountSettings, **kwargs):
        self.current = current
        kwargs.setdefault("initial", {"mode": current.mode,
                                      "connected_account_id": current.connected_account_id})
        super().__init__(*args, **kwargs)
        self.fields["mode"].widget.attrs["class"] = "form-check-input"
        for name in SECRETS:
            stored = getattr(current, name)
            # Never rendered back: the page shows only the last four characters.
            self.fields[name].widget = forms.PasswordInput(
                render_value=False, attrs={"class": "form-control", "autocomplete": "off"})
            if stored:
                self.fields[name].help_text = _(
                    "Saved: %(last4)s. Leave empty to keep it.") % {"last4": last4(stored)}
        self.fields["connected_account_id"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "off", "placeholder": "acct_…"})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == StripeAccountSettings.Mode.CONNECT:
            self._clean_connect(cleaned)
        elif cleaned.get("mode"):
            self._clean_own_keys(cleaned)
        return cleaned

    def _clean_own_keys(self, cleaned):
        for name, (prefixes, needed) in SECRETS.items():
            value = cleaned.get(name, "")
            if value and not value.startswith(prefixes):
                self.add_error(name, _("This does not look like a Stripe key of this kind "
                                       "(it starts with %(prefix)s).")
                               % {"prefix": " / ".join(prefixes)})
            elif needed and not value and not getattr(self.current, name):
                self.add_error(name, _("Required to take payments with your own account."))

    def _clean_connect(self, cleaned):
        from tenants.models import ConnectedAccount

        if not platform_offers_connect():
            self.add_error("mode", _("This platform does not offer Stripe Connect; use your "
                                     "own keys."))
            return
        account = cleaned.get("connected_account_id", "")
        if not ACCOUNT_ID.match(account):
            self.add_error("connected_account_id",
                           _("Enter the account ID from Stripe, such as acct_1A2b3C4d5E."))
        elif ConnectedAccount.objects.filter(account_id=account).exclude(
                tenant_id=connection.tenant.pk).exists():
            self.add_error("connected_account_id",
                           _("This Stripe account is already connected to another workspace."))
