"""Page form of contracts, with Bootstrap classes and clear messages."""

import re

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.activities.forms import ContactChoiceField
from crm_apps.contracts.models import Contract
from crm_apps.customers.forms import StaffChoiceField, active_staff
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customers.visibility import visible


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ContractForm(BootstrapFormMixin, forms.ModelForm):
    """A contract's fields; only accounts and contacts the user may see can be chosen."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(),
                                 required=False)
    owner = StaffChoiceField(label=_("Owner"), queryset=active_staff(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[
        (value, label) for value, label in Contract.Status.choices
        if value != Contract.Status.RENEWED])

    class Meta:
        model = Contract
        fields = ["name", "account", "contact", "start", "end", "value", "currency",
                  "billing_period", "auto_renew", "renewal_notice_days", "status", "owner",
                  "team", "notes"]
        widgets = {"start": DateInput(), "end": DateInput(),
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["contact"].queryset = (visible(Contact.objects.all(), user)
                                           .select_related("account")
                                           .order_by("last_name", "first_name", "email"))
        self.fields["contact"].empty_label = _("No contact")
        self.fields["name"].error_messages["required"] = _("Give the contract a name.")
        for name in ("start", "end"):
            self.fields[name].error_messages["invalid"] = _("Enter a date, such as 2030-01-31.")
        self.fields["value"].validators.append(MinValueValidator(0))
        if self.instance.status == Contract.Status.RENEWED:
            # A renewed term keeps that status; it is not offered as a choice.
            del self.fields["status"]
        if self.instance.pk is None and not self.initial.get("owner"):
            self.initial["owner"] = user.pk
        self.style()

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise forms.ValidationError(_("Give a three-letter ISO 4217 code, such as CNY."))
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("A contract cannot end before it starts."))
        account, contact = cleaned.get("account"), cleaned.get("contact")
        if account and contact and contact.account_id != account.pk:
            self.add_error("contact", _("This contact belongs to another account."))
        return cleaned
