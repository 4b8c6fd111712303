"""The shop prices in each tenant's own currency and tax: the same product costs CNY 100.57 at
acme (13% on top) and USD 89.00 at globex (no tax); stock records take the tenant's currency;
a customer-group price list applies only to signed-in members of its segment, only while
active and valid, and only when the shop personalises."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_class, get_model

from crm_apps.customers.models import Contact
from crm_apps.segments.models import Segment, SegmentMembership
from store.shop.models import PriceList, PriceListItem, ShopSettings
from tests.fixtures.world import host_client, signed_in

Basket = get_model("basket", "Basket")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")
Selector = get_class("partner.strategy", "Selector")


def configure_shop(*, currency, tax_rate, include_tax=False, personalise=True):
    row = ShopSettings.current()
    row.currency, row.tax_rate = currency, Decimal(tax_rate)
    row.prices_include_tax, row.personalisation_enabled = include_tax, personalise
    row.save()


def make_product(title="Travel mug 旅行杯", price="89.00", slug="travel-mug"):
    product = Product.objects.create(
        title=title, slug=slug, product_class=ProductClass.objects.get(slug="standard"),
        structure="standalone", is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=f"SKU-{slug}", price=Decimal(price), num_in_stock=50)
    return product


def shopper(host, email):
    return host_client(host, email=email, login_path="/portal/login/")


@pytest.fixture
def two_shops(acme, globex):
    with tenant_context(acme.tenant):
        configure_shop(currency="CNY", tax_rate="13")
        acme_mug = make_product()
    with tenant_context(globex.tenant):
        configure_shop(currency="USD", tax_rate="0")
        globex_mug = make_product()
    return acme_mug, globex_mug


def test_same_price_shows_in_each_tenants_currency_and_tax(acme, globex, two_shops):
    acme_mug, globex_mug = two_shops
    acme_page = host_client(acme.host).get(f"/shop/catalogue/travel-mug_{acme_mug.pk}/")
    globex_page = host_client(globex.host).get(f"/shop/catalogue/travel-mug_{globex_mug.pk}/")
    assert acme_page.status_code == globex_page.status_code == 200
    acme_html, globex_html = acme_page.content.decode(), globex_page.content.decode()
    assert "100.57" in acme_html
    assert ("CN¥" in acme_html or "¥" in acme_html)
    assert "89.00" not in acme_html.split('class="price_color"')[1][:60]
    assert "$89.00" in globex_html
    assert "100.57" not in globex_html
    with tenant_context(acme.tenant):
        info = Selector().strategy().fetch_for_product(acme_mug)
        assert (info.price.currency, info.price.excl_tax, info.price.tax,
                info.price.incl_tax) == ("CNY", Decimal("89.00"), Decimal("11.57"),
                                         Decimal("100.57"))


def test_prices_that_include_tax_are_what_shoppers_pay(in_acme):
    configure_shop(currency="CNY", tax_rate="13", include_tax=True)
    info = Selector().strategy().fetch_for_product(make_product(price="113.00"))
    assert (info.price.excl_tax, info.price.tax, info.price.incl_tax) == (
        Decimal("100.00"), Decimal("13.00"), Decimal("113.00"))


def test_new_stock_records_take_the_tenants_currency(acme, globex, two_shops):
    acme_mug, globex_mug = two_shops
    with tenant_context(acme.tenant):
        assert StockRecord.objects.get(product=acme_mug).price_currency == "CNY"
        # Typed in another currency (the dashboard form allows any text): still the shop's.
        record = StockRecord.objects.create(
            product=make_product(slug="lamp"), partner=Partner.objects.get(code="default"),
            partner_sku="X", price=Decimal(5), price_currency="EUR")
        assert record.price_currency == "CNY"
        assert StockRecord._meta.get_field("price_currency").get_default() == "CNY"
    with tenant_context(globex.tenant):
        assert StockRecord.objects.get(product=globex_mug).price_currency == "USD"
        assert StockRecord._meta.get_field("price_currency").get_default() == "USD"


# --- price lists --------------------------------------------------------------------------

@pytest.fixture
def gold(in_acme):
    """acme in CNY without tax, a mug at 89, and a "Gold" price list at 70 for one shopper."""
    configure_shop(currency="CNY", tax_rate="0")
    mug = make_product()
    segment = Segment.objects.create(name="Gold")
    users = get_user_model().objects
    member = Contact.objects.create(first_name="Gold", last_name="Member",
                                    email="customer@acme.example",
                                    portal_user=users.get(email="customer@acme.example"))
    Contact.objects.create(first_name="Plain", last_name="Shopper", email="other@acme.example",
                           portal_user=users.get(email="other@acme.example"))
    SegmentMembership.objects.create(segment=segment, contact=member)
    price_list = PriceList.objects.create(name="Gold prices", segment=segment)
    PriceListItem.objects.create(price_list=price_list, product=mug, price=Decimal("70.00"))
    return {"mug": mug, "segment": segment, "list": price_list}


def price_on_page(client, product) -> str:
    html = client.get(f"/shop/catalogue/travel-mug_{product.pk}/").content.decode()
    return html.split('class="price_color"')[1][:40]


def test_price_list_applies_to_members_only(acme, gold):
    member, other = shopper(acme.host, acme.customer_email), shopper(acme.host,
                                                                      "other@acme.example")
    assert "70.00" in price_on_page(member, gold["mug"])
    assert "89.00" in price_on_page(other, gold["mug"])
    assert "89.00" in price_on_page(host_client(acme.host), gold["mug"])
    # The member also pays it: the basket line is priced from the list.
    assert member.post(f"/shop/basket/add/{gold['mug'].pk}/", {"quantity": 2}).status_code == 302
    basket = Basket.objects.get(owner__email=acme.customer_email, status="Open")
    line = basket.all_lines()[0]
    basket.strategy = Selector().strategy(user=basket.owner)
    assert basket.total_incl_tax == Decimal("140.00")
    assert line.unit_price_incl_tax == Decimal("70.00")


@pytest.mark.parametrize("change", ["inactive", "expired", "not_yet", "segment_off",
                                    "personalisation_off"])
def test_price_list_does_not_apply_outside_its_terms(acme, gold, change):
    now = timezone.now()
    price_list = gold["list"]
    if change == "inactive":
        price_list.active = False
    elif change == "expired":
        price_list.valid_from, price_list.valid_to = now - timedelta(days=9), now - timedelta(1)
    elif change == "not_yet":
        price_list.valid_from = now + timedelta(days=1)
    elif change == "segment_off":
        Segment.objects.filter(pk=gold["segment"].pk).update(is_active=False)
    else:
        configure_shop(currency="CNY", tax_rate="0", personalise=False)
    price_list.save()
    assert "89.00" in price_on_page(shopper(acme.host, acme.customer_email), gold["mug"])


def test_lowest_list_price_wins_and_never_above_normal(acme, gold):
    cheaper = PriceList.objects.create(name="Flash", segment=gold["segment"])
    record = StockRecord.objects.get(product=gold["mug"])
    PriceListItem.objects.create(price_list=cheaper, stockrecord=record, price=Decimal("65.50"))
    member = get_user_model().objects.get(email=acme.customer_email)
    info = Selector().strategy(user=member).fetch_for_product(gold["mug"])
    assert info.price.incl_tax == Decimal("65.50")
    PriceListItem.objects.all().update(price=Decimal("120.00"))
    info = Selector().strategy(user=member).fetch_for_product(gold["mug"])
    assert info.price.incl_tax == Decimal("89.00")


def test_one_query_for_list_prices_per_request(acme, gold, django_assert_max_num_queries):
    member = get_user_model().objects.get(email=acme.customer_email)
    products = [gold["mug"], *(make_product(slug=f"p{n}") for n in range(5))]
    strategy = Selector().strategy(user=member)
    strategy.fetch_for_product(products[0])
    with django_assert_max_num_queries(len(products) * 2):
        for product in products:
            strategy.fetch_for_product(product)  # settings, segments, lists: read once


def test_dashboard_product_form_starts_in_the_tenants_currency(acme, globex, two_shops):
    url = "/shop/dashboard/catalogue/products/create/standard/"
    acme_form = signed_in(acme.host, acme.admin_email).get(url).content.decode()
    globex_form = signed_in(globex.host, globex.admin_email).get(url).content.decode()
    assert re.search(r'name="stockrecords-0-price_currency"[^>]*value="CNY"', acme_form)
    assert re.search(r'name="stockrecords-0-price_currency"[^>]*value="USD"', globex_form)
