"""The price lists in the Django admin (the shop's settings have their own page, which also
re-labels the stock records when the currency changes)."""

from django.contrib import admin

from store.shop.models import PriceList, PriceListItem


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    raw_id_fields = ["product", "stockrecord"]
    extra = 0


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "active", "valid_from", "valid_to"]
    list_filter = ["active"]
    inlines = [PriceListItemInline]
