"""The shop's settings, one row per tenant schema (currency and tax are the tenant's own, not
one setting of the deployment)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ShopSettings(models.Model):
    currency = models.CharField(_("currency"), max_length=3,
                                default=settings.OSCAR_DEFAULT_CURRENCY)
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
