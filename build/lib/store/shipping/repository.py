"""Shipping methods at checkout: the ones this tenant's staff set up in Oscar's dashboard (or
the Django admin), free shipping when there are none; charges in the tenant's currency."""

from oscar.apps.shipping import repository
from oscar.core import prices
from oscar.core.loading import get_class, get_model

from store.partner.currency import tenant_currency


def basket_currency(basket) -> str:
    """The tenant's currency, from the basket's strategy when it has read the settings."""
    shop_settings = getattr(getattr(basket, "_strategy", None), "shop_settings", None)
    return shop_settings.currency if shop_settings is not None else tenant_currency()

Free = get_class("shipping.methods", "Free")
OrderAndItemCharges = get_model("shipping", "OrderAndItemCharges")
WeightBased = get_model("shipping", "WeightBased")


class TenantCurrencyMethod:
    """A stored method whose charge is stated in the tenant's currency (Oscar takes the
    basket's, which an empty or legacy basket does not have)."""

    is_discounted = False

    def __init__(self, method):
        self.method = method
        self.code = method.code
        self.name = method.name
        self.description = method.description

    def calculate(self, basket):
        charge = self.method.calculate(basket)
        return prices.Price(currency=basket_currency(basket), excl_tax=charge.excl_tax,
                            incl_tax=charge.incl_tax if charge.is_tax_known else None)

    def __getattr__(self, name):
        return getattr(self.method, name)


class TenantFree(Free):
    def calculate(self, basket):
        return prices.Price(currency=basket_currency(basket), excl_tax=0, incl_tax=0)


def _ships_to(method, shipping_addr) -> bool:
    countries = method.countries.all()  # prefetched
    if not countries or shipping_addr is None:
        return True
    return shipping_addr.country_id in {country.pk for country in countries}


class Repository(repository.Repository):
    def get_available_shipping_methods(self, basket, shipping_addr=None, **kwargs):
        stored = [
            *WeightBased.objects.prefetch_related("countries").order_by("name", "pk"),
            *OrderAndItemCharges.objects.prefetch_related("countries").order_by("name", "pk"),
        ]
        if not stored:
            # The default: a shop whose staff set up nothing still sells, shipping free.
            return [TenantFree()]
        # Methods limited to other countries leave none: Oscar then says it cannot ship there.
        return [TenantCurrencyMethod(method) for method in stored
                if _ships_to(method, shipping_addr)]
