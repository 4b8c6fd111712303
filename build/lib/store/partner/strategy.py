"""Each tenant's pricing: its currency and tax rate, and its customer groups' price lists.

Oscar asks ``Selector().strategy(request=..., user=...)`` once per request (the basket
middleware) and per basket line; everything a strategy reads is fetched once and kept on it."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision
from django.utils import timezone
from django.utils.functional import cached_property
from oscar.apps.partner import strategy as oscar_strategy
from oscar.core.loading import get_class

from store.shop.models import PriceList, PriceListItem, ShopSettings

UnavailablePrice = get_class("partner.prices", "Unavailable")
TaxInclusiveFixedPrice = get_class("partner.prices", "TaxInclusiveFixedPrice")


def _segment_ids_for_user(user) -> frozenset[int]:
    from crm_apps.segments.membership import segment_ids_for_user

    return segment_ids_for_user(user)


class Selector:
    """Every shopper gets the tenant's strategy; the user decides the price lists."""

    def strategy(self, request=None, user=None, **kwargs):
        if user is None and request is not None:
            user = getattr(request, "user", None)
        return TenantStrategy(request=request, user=user)


class TenantPricing:
    """Pricing policy mixin: the tenant's currency and fixed tax rate, and the lowest price a
    shopper's price lists give (when the shop personalises)."""

    @cached_property
    def shop_settings(self) -> ShopSettings:
        # Read once per request (one primary-key query), not kept across requests: a cached
        # copy would outlive a rolled-back change and needs invalidating on every host.
        return ShopSettings.current()

    @cached_property
    def exponent(self) -> Decimal:
        return Decimal(1).scaleb(-get_currency_precision(self.shop_settings.currency))

    @cached_property
    def segment_ids(self) -> frozenset[int]:
        if not self.shop_settings.personalisation_enabled:
            return frozenset()
        return _segment_ids_for_user(self.user)

    @cached_property
    def list_prices(self) -> dict[tuple[str, int], Decimal]:
        """The lowest list price per product ("p", id) and per stock record ("s", id) over the
        shopper's applicable lists: one query per request, none for shoppers in no segment."""
        if not self.segment_ids:
            return {}
        lists = PriceList.objects.applicable(self.segment_ids, at=timezone.now())
        prices: dict[tuple[str, int], Decimal] = {}
        rows = PriceListItem.objects.filter(price_list__in=lists).values_list(
            "product_id", "stockrecord_id", "price")
        for product_id, stockrecord_id, price in rows:
            key = ("p", product_id) if product_id is not None else ("s", stockrecord_id)
            if key not in prices or price < prices[key]:
                prices[key] = price
        return prices

    def base_price(self, product, stockrecord) -> Decimal:
        """The stock record's price, or a lower price from the shopper's lists."""
        candidates = [stockrecord.price]
        if self.list_prices:
            for key in (("s", stockrecord.pk), ("p", product.pk), ("p", product.parent_id)):
                if key in self.list_prices:
                    candidates.append(self.list_prices[key])
        return min(candidates)

    def price_for(self, product, stockrecord):
        if not stockrecord or stockrecord.price is None:
            return UnavailablePrice()
        settings_row = self.shop_settings
        amount = self.base_price(product, stockrecord)
        fraction = settings_row.tax_fraction
        if settings_row.prices_include_tax:
            excl_tax = (amount / (1 + fraction)).quantize(self.exponent, ROUND_HALF_UP)
            tax = amount - excl_tax
        else:
            excl_tax = amount.quantize(self.exponent, ROUND_HALF_UP)
            tax = (excl_tax * fraction).quantize(self.exponent, ROUND_HALF_UP)
        return TaxInclusiveFixedPrice(currency=settings_row.currency, excl_tax=excl_tax,
                                      tax=tax)

    def pricing_policy(self, product, stockrecord):
        return self.price_for(product, stockrecord)

    def parent_pricing_policy(self, product, children_stock):
        # "From" the cheapest child that has a price.
        priced = [self.price_for(child, record) for child, record in children_stock
                  if record is not None and record.price is not None]
        if not priced:
            return UnavailablePrice()
        return min(priced, key=lambda price: price.incl_tax)


class TenantStrategy(oscar_strategy.UseFirstStockRecord, oscar_strategy.StockRequired,
                     TenantPricing, oscar_strategy.Structured):
    """First stock record, stock required, the tenant's prices."""

    def fetch_for_line(self, line, stockrecord=None):
        # Oscar's default looks the product's stock records up again for every line; the line
        # already holds the one it was added with (loaded with it).
        return self.fetch_for_product(line.product, stockrecord or line.stockrecord)

    def __init__(self, request=None, user=None):
        super().__init__(request)
        # A basket line or an order placed outside a request names its shopper directly.
        if user is not None and getattr(user, "is_authenticated", False):
            self.user = user
