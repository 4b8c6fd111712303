"""The shop's settings, one row per tenant schema (currency and tax are the tenant's own, not
one setting of the deployment), and the customer-group price lists."""

from decimal import Decimal
from functools import cache as memoize

from babel.core import get_global
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@memoize
def known_currency_codes() -> frozenset[str]:
    """ISO 4217 codes legal tender somewhere today (Babel's CLDR data, which Oscar's price
    formatting uses too): no historical or test codes such as XXX."""
    return frozenset(
        code for periods in get_global("territory_currencies").values()
        for code, _start, end, tender in periods if end is None and tender)


def validate_currency_code(value: str) -> None:
    if value not in known_currency_codes():
        raise ValidationError(_("Enter an ISO 4217 currency code, such as CNY, USD or EUR."),
                              code="currency")


class ShopSettings(models.Model):
    currency = models.CharField(_("currency"), max_length=3,
                                default=settings.OSCAR_DEFAULT_CURRENCY,
                                validators=[validate_currency_code])
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    # Off: no segment offers, price lists or personal recommendations (best sellers only).
    personalisation_enabled = models.BooleanField(_("personalised offers"), default=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "ShopSettings":
        """This tenant's row, made on first use."""
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls.objects.create()

    @property
    def tax_fraction(self) -> Decimal:
        return self.tax_rate / Decimal(100)


class PriceListQuerySet(models.QuerySet):
    def applicable(self, segment_ids, *, at):
        """Active lists of these segments that are valid at ``at``."""
        return self.filter(
            segment_id__in=segment_ids, active=True, segment__is_active=True,
        ).filter(Q(valid_from__isnull=True) | Q(valid_from__lte=at),
                 Q(valid_to__isnull=True) | Q(valid_to__gt=at))


class PriceList(models.Model):
    """Prices for the members of one customer segment (a customer group)."""

    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey("segments.Segment", verbose_name=_("segment"),
                                on_delete=models.CASCADE, related_name="price_lists")
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid until"), null=True, blank=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = PriceListQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [models.CheckConstraint(
            condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True)
            | Q(valid_to__gt=models.F("valid_from")),
            name="price_list_valid_period")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": _("The end must come after the start.")})


class PriceListItem(models.Model):
    """One price on a list: for a product (all its stock records) or one stock record.

    The price is entered like the stock record's: including tax when the shop's prices include
    tax, before tax otherwise."""

    price_list = models.ForeignKey(PriceList, verbose_name=_("price list"),
                                   on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalogue.Product", verbose_name=_("product"), null=True,
                                blank=True, on_delete=models.CASCADE, related_name="+")
    stockrecord = models.ForeignKey("partner.StockRecord", verbose_name=_("stock record"),
                                    null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+")
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["pk"]
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(stockrecord__isnull=True))
                | (Q(product__isnull=True) & Q(stockrecord__isnull=False)),
                name="price_list_item_one_target"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_list_item_price_gte0"),
            models.UniqueConstraint(fields=["price_list", "product"],
                                    condition=Q(product__isnull=False),
                                    name="price_list_item_product_once"),
            models.UniqueConstraint(fields=["price_list", "stockrecord"],
                                    condition=Q(stockrecord__isnull=False),
                                    name="price_list_item_stockrecord_once"),
        ]

    def __str__(self):
        return f"{self.price_list_id}: {self.price}"
