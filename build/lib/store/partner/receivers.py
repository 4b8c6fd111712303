"""Stock records are always priced in the shop's one currency."""

from django.db.models.signals import pre_save
from django.dispatch import receiver
from oscar.core.loading import get_model

from store.partner.currency import tenant_currency

StockRecord = get_model("partner", "StockRecord")


@receiver(pre_save, sender=StockRecord, dispatch_uid="stockrecord_tenant_currency")
def price_in_tenant_currency(sender, instance, raw=False, **kwargs):
    # One basket holds one currency and prices are never converted: a record typed in another
    # currency (the dashboard form lets staff type any) would mislabel its amount.
    if not raw:
        instance.price_currency = tenant_currency()
