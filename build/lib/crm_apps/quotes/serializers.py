"""API representation of quotes with their lines (writable while a draft), and of catalogue
products for the line picker."""

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model
from rest_framework import serializers

from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customers.serializers import staff_users
from crm_apps.customers.visibility import visible
from crm_apps.quotes import services
from crm_apps.quotes.models import Quote, QuoteLine
from crm_apps.sales.models import Opportunity

Product = get_model("catalogue", "Product")
HUNDRED = Decimal("100")


def percent_field(**kwargs):
    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"),
                                    max_value=HUNDRED, required=False, **kwargs)


def quotable_products():
    """Products a line can name: standalone products and variants, not parents."""
    return Product.objects.exclude(structure=Product.PARENT)


class QuoteLineSerializer(serializers.ModelSerializer):
    """A catalogue product (description, SKU and unit price default to the catalogue's) or a
    free line (a description and a unit price)."""

    product = serializers.PrimaryKeyRelatedField(queryset=quotable_products(), required=False,
                                                 allow_null=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    sku = serializers.CharField(max_length=128, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2,
                                        min_value=Decimal("0.01"), required=False)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                          required=False, allow_null=True)
    discount_percent = percent_field()
    tax_rate = percent_field()

    class Meta:
        model = QuoteLine
        fields = ["id", "position", "product", "sku", "description", "quantity", "unit_price",
                  "discount_percent", "tax_rate", "net_amount", "tax_amount", "total_amount"]
        read_only_fields = ["id", "position", "net_amount", "tax_amount", "total_amount"]


class QuoteSerializer(serializers.ModelSerializer):
    """One version of a quote. Status changes only through its actions (send, new version)
    and the customer's answer; a quote's fields and lines change only while it is a draft.
    Given ``lines``, an update replaces all of them. Made from an opportunity, the account,
    contact, currency, owner, team and title default to the opportunity's."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False,
                                                 allow_null=True)
    opportunity = serializers.PrimaryKeyRelatedField(queryset=Opportunity.objects.all(),
                                                     required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                               required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    title = serializers.CharField(max_length=200, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    discount_percent = percent_field()
    lines = QuoteLineSerializer(many=True, required=False)
    next_version = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = ["id", "number", "version", "label", "previous", "next_version", "title",
                  "opportunity", "account", "contact", "status", "currency", "language",
                  "valid_until", "discount_percent", "terms", "lines", "subtotal",
                  "discount_total", "tax_total", "total", "sent_at", "responded_at",
                  "responded_by", "decline_reason", "order", "owner", "team", "created",
                  "updated"]
        read_only_fields = ["number", "version", "previous", "status", "subtotal",
                            "discount_total", "tax_total", "total", "sent_at", "responded_at",
                            "responded_by", "decline_reason", "order", "created", "updated"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only records the caller may see can be linked; others are "does not exist".
            for name, model in (("account", Account), ("contact", Contact),
                                ("opportunity", Opportunity)):
                fields[name].queryset = visible(model.objects.all(), request.user)
        return fields

    def get_next_version(self, quote) -> int | None:
        following = getattr(quote, "next_version", None)
        return following.pk if following is not None else None

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise serializers.ValidationError(_("Give a three-letter ISO 4217 code, "
                                                "such as CNY."))
        return value

    def validate(self, attrs):
        if self.instance is None and attrs.get("opportunity") is not None:
            for name, value in services.defaults_from_opportunity(attrs["opportunity"]).items():
                if attrs.get(name) in (None, ""):
                    attrs[name] = value
        current = {name: attrs.get(name, getattr(self.instance, name, None))
                   for name in ("account", "contact", "title", "currency")}
        errors = {}
        if current["account"] is None:
            errors["account"] = [_("Choose the account the quote is for.")]
        if not current["title"]:
            errors["title"] = [_("Give the quote a title.")]
        account, contact = current["account"], current["contact"]
        if account is not None and contact is not None and contact.account_id != account.pk:
            errors["contact"] = [_("This contact belongs to another account.")]
        if "lines" in attrs:
            line_errors = self._complete_lines(attrs, current["currency"] or "CNY")
            if any(line_errors):
                errors["lines"] = line_errors
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _complete_lines(self, attrs, currency: str) -> list[dict]:
        completed, errors = [], []
        for values in attrs["lines"]:
            try:
                completed.append(services.complete_line(values, currency=currency))
                errors.append({})
            except services.LineError as error:
                errors.append({error.field: [str(error)]})
        attrs["lines"] = completed
        return errors

    def create(self, validated_data):
        lines = validated_data.pop("lines", [])
        return services.create_quote(acting_user=self.context["request"].user, lines=lines,
                                     **validated_data)

    def update(self, instance, validated_data):
        lines = validated_data.pop("lines", None)
        return services.update_quote(instance, lines=lines, **validated_data)


class CatalogueProductSerializer(serializers.ModelSerializer):
    """A product as a quote line would take it: title, SKU and price excluding tax."""

    sku = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "title", "upc", "sku", "price", "currency"]

    def _listed(self, product) -> services.CataloguePrice:
        cache = self.context.setdefault("listed", {})
        if product.pk not in cache:
            cache[product.pk] = services.catalogue_price(product)
        return cache[product.pk]

    def get_sku(self, product) -> str:
        return self._listed(product).sku

    def get_price(self, product) -> str | None:
        price = self._listed(product).price
        return None if price is None else str(price)

    def get_currency(self, product) -> str:
        return self._listed(product).currency
