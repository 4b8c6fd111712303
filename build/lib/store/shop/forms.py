"""Forms of the shop's settings and price list pages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from core.forms import BootstrapFormMixin
from crm_apps.segments.models import Segment
from store.shop.models import PriceList, PriceListItem, ShopSettings

Product = get_model("catalogue", "Product")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"},
                                      format="%Y-%m-%dT%H:%M")


class ShopSettingsForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ShopSettings
        fields = ["currency", "tax_rate", "prices_include_tax", "personalisation_enabled"]
        help_texts = {
            "currency": _("ISO 4217 code, such as CNY, USD or EUR. Existing prices keep their "
                          "amounts and are shown in the new currency."),
            "tax_rate": _("Percent, from 0 to 100, such as 13 for 13%."),
            "prices_include_tax": _("On: the prices you enter are what shoppers pay. Off: tax "
                                    "is added on top."),
            "personalisation_enabled": _("Segment offers, customer-group price lists and "
                                         "personal recommendations."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].widget.attrs.update({"maxlength": 3, "autocomplete": "off",
                                                     "style": "text-transform: uppercase"})
        self.style()

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()


class PriceListForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = PriceList
        fields = ["name", "segment", "active", "valid_from", "valid_to"]
        widgets = {"valid_from": DATETIME_WIDGET, "valid_to": DATETIME_WIDGET}
        help_texts = {"segment": _("Signed-in shoppers in this segment pay the list's prices "
                                   "when they are lower.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.style()


class PriceListItemForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = PriceListItem
        fields = ["product", "price"]

    def __init__(self, *args, price_list: PriceList, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.price_list = price_list
        product = self.fields["product"]
        product.required = True
        product.queryset = Product.objects.browsable().order_by("title")
        self.style()

    def validate_unique(self):
        # price_list is not a form field, so Django would skip the "one price per product"
        # check and let the database refuse it with an error page.
        exclude = self._get_validation_exclusions() - {"price_list"}
        try:
            self.instance.validate_unique(exclude=exclude)
            self.instance.validate_constraints(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)
