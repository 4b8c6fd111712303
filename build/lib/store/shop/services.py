"""Operations on the shop's settings and price lists."""

from django.db import transaction
from oscar.core.loading import get_model

from core.models import AuditEntry
from store.shop.models import ShopSettings

SETTINGS_FIELDS = ("currency", "tax_rate", "prices_include_tax", "personalisation_enabled")


@transaction.atomic
def update_shop_settings(*, values: dict, acting_user) -> ShopSettings:
    """Save the shop's settings; a new currency re-labels every stock record (amounts are never
    converted), so baskets and orders carry one currency. Kept in the audit trail."""
    row = ShopSettings.objects.select_for_update().filter(
        pk=ShopSettings.current().pk).get()
    before = {name: str(getattr(row, name)) for name in SETTINGS_FIELDS}
    for name in SETTINGS_FIELDS:
        setattr(row, name, values[name])
    row.save()
    after = {name: str(getattr(row, name)) for name in SETTINGS_FIELDS}
    if before["currency"] != after["currency"]:
        StockRecord = get_model("partner", "StockRecord")
        StockRecord.objects.exclude(price_currency=row.currency).update(
            price_currency=row.currency)
    changes = {name: [before[name], after[name]] for name in SETTINGS_FIELDS
               if before[name] != after[name]}
    if changes:
        AuditEntry.objects.create(record_type=row._meta.label_lower, record_id=str(row.pk),
                                  action=AuditEntry.Action.UPDATED, actor=acting_user,
                                  changes=changes)
    return row
