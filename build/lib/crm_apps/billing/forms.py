"""Page forms of invoices: a draft by hand with its lines, a payment received, a refund, and the
statement's date range."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.activities.forms import ContactChoiceField
from crm_apps.billing import services
from crm_apps.billing.models import Invoice, Payment
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.visibility import visible
from crm_apps.quotes.forms import DateInput, percent_field

HEADER_FIELDS = ["account", "contact", "currency", "language", "due_date", "discount_percent",
                 "notes"]
AMOUNT_ERRORS = {"min_value": _("The amount must be more than zero."),
                 "invalid": _("Enter an amount, such as 19.99."),
                 "max_decimal_places": _("Amounts have at most two decimals.")}


def amount_field(label):
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2,
                              min_value=Decimal("0.01"), error_messages=AMOUNT_ERRORS)


class InvoiceForm(BootstrapFormMixin, forms.ModelForm):
    """A draft's fields; only accounts and contacts the user may see."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(),
                                 required=False)
    discount_percent = percent_field(_("Invoice discount (%)"))

    class Meta:
        model = Invoice
        fields = HEADER_FIELDS
        widgets = {"due_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["contact"].queryset = (visible(Contact.objects.all(), user)
                                           .select_related("account")
                                           .order_by("last_name", "first_name", "email"))
        self.fields["contact"].empty_label = _("No contact")
        self.fields["account"].error_messages["required"] = _(
            "Choose the account the invoice is for.")
        self.fields["due_date"].error_messages["invalid"] = _(
            "Enter a date, such as 2030-01-31.")
        self.style()

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise forms.ValidationError(_("Give a three-letter ISO 4217 code, such as CNY."))
        return value

    def clean(self):
        cleaned = super().clean()
        account, contact = cleaned.get("account"), cleaned.get("contact")
        if account and contact and contact.account_id != account.pk:
            self.add_error("contact", _("This contact belongs to another account."))
        return cleaned

    def header(self) -> dict:
        return {name: self.cleaned_data[name] for name in HEADER_FIELDS}


class InvoiceLineForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        initial=Decimal("1"), required=False, error_messages={
            "min_value": _("The quantity must be more than zero."),
            "invalid": _("Enter a number, such as 2 or 1.5.")})
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=14, decimal_places=2, min_value=0, required=False,
        error_messages={"min_value": _("A price cannot be negative."),
                        "invalid": _("Enter an amount, such as 19.99.")})
    discount_percent = percent_field(_("Discount (%)"), required=False)
    tax_rate = percent_field(_("Tax (%)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def clean(self):
        cleaned = super().clean()
        if self.errors or not (cleaned.get("description") or "").strip():
            return cleaned  # an empty row is skipped
        if cleaned.get("unit_price") is None:
            self.add_error("unit_price", _("Give the line a unit price."))
            return cleaned
        cleaned["line"] = {
            "description": cleaned["description"].strip(),
            "quantity": cleaned.get("quantity") or Decimal("1"),
            "unit_price": cleaned["unit_price"],
            "discount_percent": cleaned.get("discount_percent") or Decimal("0"),
            "tax_rate": cleaned.get("tax_rate") or Decimal("0")}
        return cleaned


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [form.cleaned_data["line"] for form in self.forms
                if form.cleaned_data.get("line")]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("Add at least one line."))
        try:
            services.check_sizes(self.lines())
        except services.AmountError as error:
            raise forms.ValidationError(str(error)) from None


LineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseLineFormSet, extra=5,
                                    max_num=200, validate_max=True)


class PaymentForm(BootstrapFormMixin, forms.Form):
    amount = amount_field(_("Amount"))
    method = forms.ChoiceField(label=_("Method"), choices=[
        choice for choice in Payment.Method.choices if choice[0] != Payment.Method.STRIPE])
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)
    received_at = forms.DateTimeField(
        label=_("Received"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, such as 2030-01-31 14:00.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class RefundForm(BootstrapFormMixin, forms.Form):
    amount = amount_field(_("Amount"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class StatementForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput(), error_messages={
        "invalid": _("Enter a date, such as 2030-01-31.")})
    end = forms.DateField(label=_("To"), widget=DateInput(), error_messages={
        "invalid": _("Enter a date, such as 2030-01-31.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", _("The end is before the start."))
        return cleaned
