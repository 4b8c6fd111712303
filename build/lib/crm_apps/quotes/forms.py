"""Page forms of quotes: the quote's fields, and its lines as a formset (catalogue product or
free description, quantity, unit price, discount and tax)."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.activities.forms import ContactChoiceField
from crm_apps.customers.forms import StaffChoiceField, active_staff
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customers.visibility import visible
from crm_apps.quotes import services
from crm_apps.quotes.models import Quote
from crm_apps.quotes.serializers import quotable_products
from crm_apps.sales.models import Opportunity

HUNDRED = Decimal("100")
HEADER_FIELDS = ["title", "account", "contact", "opportunity", "currency", "language",
                 "valid_until", "discount_percent", "terms", "owner", "team"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def percent_field(label, *, required=True):
    return forms.DecimalField(
        label=label, max_digits=5, decimal_places=2, min_value=0, max_value=HUNDRED,
        initial=Decimal("0"), required=required, error_messages={
            "min_value": _("A percentage from 0 to 100."),
            "max_value": _("A percentage from 0 to 100."),
            "invalid": _("Enter a number, such as 12.5.")})


def catalogue() -> dict[int, tuple]:
    """Every product a line can name, with what a line takes from it, by id (read once per
    page: the product select of every line shares it)."""
    products = quotable_products().prefetch_related("stockrecords").order_by("title", "id")
    return {product.pk: (product, services.catalogue_price(product)) for product in products}


def catalogue_prices(products: dict[int, tuple]) -> dict[str, dict]:
    """What the page's script fills a line with when a product is chosen."""
    return {str(pk): {"title": listed.title, "sku": listed.sku, "currency": listed.currency,
                      "price": None if listed.price is None else str(listed.price)}
            for pk, (_product, listed) in products.items()}


def product_label(listed: services.CataloguePrice) -> str:
    price = f"{listed.price} {listed.currency}" if listed.price is not None else _("no price")
    sku = f" ({listed.sku})" if listed.sku else ""
    return f"{listed.title}{sku} · {price}"


class QuoteForm(BootstrapFormMixin, forms.ModelForm):
    """A quote's fields; only accounts, contacts and opportunities the user may see."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(),
                                 required=False)
    opportunity = forms.ModelChoiceField(label=_("Opportunity"),
                                         queryset=Opportunity.objects.none(), required=False)
    owner = StaffChoiceField(label=_("Owner"), queryset=active_staff(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  required=False)
    discount_percent = percent_field(_("Quote discount (%)"))

    class Meta:
        model = Quote
        fields = HEADER_FIELDS
        widgets = {"valid_until": DateInput(), "terms": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["contact"].queryset = (visible(Contact.objects.all(), user)
                                           .select_related("account")
                                           .order_by("last_name", "first_name", "email"))
        self.fields["contact"].empty_label = _("No contact")
        self.fields["opportunity"].queryset = (visible(Opportunity.objects.all(), user)
                                               .order_by("name"))
        self.fields["opportunity"].empty_label = _("No opportunity")
        self.fields["team"].empty_label = _("No team")
        self.fields["title"].error_messages["required"] = _("Give the quote a title.")
        self.fields["account"].error_messages["required"] = _(
            "Choose the account the quote is for.")
        self.fields["valid_until"].error_messages["invalid"] = _(
            "Enter a date, such as 2030-01-31.")
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
        account, contact = cleaned.get("account"), cleaned.get("contact")
        if account and contact and contact.account_id != account.pk:
            self.add_error("contact", _("This contact belongs to another account."))
        return cleaned

    def header(self) -> dict:
        return {name: self.cleaned_data[name] for name in HEADER_FIELDS}


class QuoteLineForm(BootstrapFormMixin, forms.Form):
    """One line: a product from the catalogue (its price filled in, and overridable) or a
    free description."""

    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int,
                                     empty_value=None)
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        initial=Decimal("1"), error_messages={
            "min_value": _("The quantity must be more than zero."),
            "invalid": _("Enter a number, such as 2 or 1.5.")})
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=14, decimal_places=2, min_value=0, required=False,
        help_text=_("Left empty, the catalogue price."), error_messages={
            "min_value": _("A price cannot be negative."),
            "invalid": _("Enter an amount, such as 19.99.")})
    discount_percent = percent_field(_("Discount (%)"), required=False)
    tax_rate = percent_field(_("Tax (%)"), required=False)

    def __init__(self, *args, products: dict, currency: str = "CNY", **kwargs):
        super().__init__(*args, **kwargs)
        self.products, self.currency = products, currency
        self.fields["product"].choices = [("", _("Free line (no product)")), *[
            (pk, product_label(listed)) for pk, (_product, listed) in products.items()]]
        self.fields["description"].widget.attrs["placeholder"] = _("Taken from the product")
        self.style()
        self.fields["product"].widget.attrs["class"] += " line-product"
        self.fields["unit_price"].widget.attrs["class"] += " line-price"
        self.fields["description"].widget.attrs["class"] += " line-description"

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = dict(cleaned)
        values.pop("DELETE", None)
        for name in ("discount_percent", "tax_rate"):  # left empty: none
            if values.get(name) is None:
                values[name] = Decimal("0")
        values["product"] = self.products[cleaned["product"]][0] if cleaned.get(
            "product") else None
        if cleaned.get("DELETE"):
            return cleaned
        try:
            cleaned["line"] = services.complete_line(values, currency=self.currency)
        except services.LineError as error:
            self.add_error(error.field, str(error))
        return cleaned


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The kept lines, in the page's order, completed from the catalogue."""
        return [form.cleaned_data["line"] for form in self.forms
                if form.cleaned_data.get("line") and not form.cleaned_data.get("DELETE")]


LineFormSet = forms.formset_factory(QuoteLineForm, formset=BaseLineFormSet, extra=1,
                                    can_delete=True, max_num=200, validate_max=True)


def initial_lines(quote: Quote) -> list[dict]:
    return [{"product": line.product_id, "description": line.description,
             "quantity": line.quantity, "unit_price": line.unit_price,
             "discount_percent": line.discount_percent, "tax_rate": line.tax_rate}
            for line in quote.lines.all()]
