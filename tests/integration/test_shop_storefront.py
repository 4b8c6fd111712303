"""The storefront of each tenant: its name, logo, brand colour and the way back to its site and
portal, in English and Chinese; a search that finds "耳机", "headset" and parts of words; the
shipping methods its staff set up in Oscar's dashboard, charged in its currency."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from oscar.core.loading import get_class, get_model

from crm_apps.customers.models import Contact
from crm_apps.customization.models import Branding
from store.shop.models import ShopSettings
from tests.fixtures.world import host_client, signed_in

Basket = get_model("basket", "Basket")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")
WeightBased = get_model("shipping", "WeightBased")
Repository = get_class("shipping.repository", "Repository")
Selector = get_class("partner.strategy", "Selector")
ShippingAddress = get_model("order", "ShippingAddress")
Country = get_model("address", "Country")
ADDRESS = {"first_name": "Wei", "last_name": "Zhang", "line1": "1 Market St",
           "line4": "San Francisco", "state": "CA", "postcode": "94105", "country": "US"}


def make_product(title, slug, price="89.00", description=""):
    product = Product.objects.create(
        title=title, slug=slug, description=description, structure="standalone",
        product_class=ProductClass.objects.get(slug="standard"), is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=f"SKU-{slug}", price=Decimal(price), num_in_stock=9)
    return product


# --- theme --------------------------------------------------------------------------------

def test_shop_pages_carry_the_tenants_branding(acme, globex):
    with tenant_context(acme.tenant):
        Branding(pk=1, brand_color="#aa3300").save()
    acme_home = host_client(acme.host).get("/shop/", follow=True)
    globex_home = host_client(globex.host).get("/shop/", follow=True)
    assert acme_home.status_code == globex_home.status_code == 200
    acme_html, globex_html = acme_home.content.decode(), globex_home.content.decode()
    assert re.search(r"<title>[^<]*Acme Corporation", acme_html)
    assert 'id="shop-brand"' in acme_html
    assert "--shop-brand: #aa3300" in acme_html
    assert 'href="/portal/"' in acme_html
    assert 'id="shop-footer"' in acme_html
    assert "Globex 环球" in globex_html
    assert "#aa3300" not in globex_html
    assert "Acme" not in globex_html
    # Scripts come from this server, never a CDN; no third-party tracking.
    assert "googleapis" not in acme_html
    assert "google-analytics" not in acme_html


def test_logo_shows_when_the_tenant_has_one(acme):
    with tenant_context(acme.tenant):
        Branding.objects.update_or_create(pk=1, defaults={"logo": "branding/logo.png"})
    html = host_client(acme.host).get("/shop/", follow=True).content.decode()
    assert "/portal/logo/?v=" in html


def test_shop_speaks_chinese_through_oscars_language_switcher(acme):
    client = host_client(acme.host)
    english = client.get("/shop/", follow=True).content.decode()
    assert 'id="language_selector"' in english
    assert ">Search<" in english or "Search</button>" in english
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/shop/"})
    assert response.status_code == 302
    chinese = client.get("/shop/", follow=True).content.decode()
    assert 'lang="zh-hans"' in chinese
    assert "搜索" in chinese
    assert "Acme Corporation" in chinese
    assert 'href="/portal/"' in chinese


def test_dashboard_carries_the_tenant_name(acme):
    page = signed_in(acme.host, acme.admin_email).get("/shop/dashboard/")
    assert "/shop/dashboard/shipping/weight-based/" in page.content.decode()
    assert page.status_code == 200
    assert "Acme Corporation" in page.content.decode()


# --- search -------------------------------------------------------------------------------

@pytest.fixture
def catalogue(in_acme):
    return {
        "headset": make_product("Wireless headset 无线耳机", "headset",
                                description="Noise cancelling, 降噪"),
        "lamp": make_product("Desk lamp 台灯", "lamp"),
        "hidden": Product.objects.create(
            title="Secret headset 秘密耳机", slug="secret", structure="standalone",
            product_class=ProductClass.objects.get(slug="standard"), is_public=False),
    }


def found(client, query: dict) -> str:
    response = client.get("/shop/search/", query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("q", ["耳机", "headset", "HEADSET", "heads", "无线", "降噪",
                               "wireless 耳机", "SKU-headset"])
def test_search_finds_chinese_english_and_partial_words(acme, catalogue, q):
    html = found(host_client(acme.host), {"q": q})
    assert "Wireless headset 无线耳机" in html
    assert "Desk lamp" not in html
    assert "Secret headset" not in html


def test_search_without_a_match_finds_nothing(acme, catalogue):
    html = found(host_client(acme.host), {"q": "headset 台灯"})
    assert 'id="search-results"' not in html


def test_search_pages_and_survives_junk(acme, catalogue, settings):
    settings.OSCAR_PRODUCTS_PER_PAGE = 2
    for n in range(5):
        make_product(f"Headset spare part {n} 耳机配件", f"spare-{n}")
    client = host_client(acme.host)
    first = found(client, {"q": "耳机"})
    assert first.count('class="product_pod"') == 2
    assert "page=2" in first
    last = found(client, {"q": "耳机", "page": "3"})
    assert last.count('class="product_pod"') == 2
    for junk in [{"page": "abc"}, {"page": "-1"}, {"page": "99999"}, {"sort_by": "junk"},
                 {"q": "x" * 5000}, {"q": "%_\\'\""}, {"q": ""}, {"q": "\x00"}]:
        assert client.get("/shop/search/", {"q": "耳机", **junk}).status_code == 200
    by_title = found(client, {"q": "耳机", "sort_by": "title-desc"})
    assert "Wireless headset" in by_title


def test_search_stays_in_its_tenant(acme, globex, catalogue):
    html = found(host_client(globex.host), {"q": "耳机"})
    assert "Wireless headset" not in html


def test_search_query_count_does_not_grow_with_results(acme, catalogue,
                                                       django_assert_max_num_queries):
    for n in range(8):
        make_product(f"Headset {n} 耳机", f"h-{n}")
    client = host_client(acme.host)
    client.get("/shop/search/", {"q": "耳机"})
    with django_assert_max_num_queries(40):
        client.get("/shop/search/", {"q": "耳机"})


# --- shipping -----------------------------------------------------------------------------

@pytest.fixture
def shop(in_acme):
    row = ShopSettings.current()
    row.currency, row.tax_rate = "CNY", Decimal(0)
    row.save()
    users = get_user_model().objects
    Contact.objects.create(first_name="Shopper", last_name="One", email="customer@acme.example",
                           portal_user=users.get(email="customer@acme.example"))
    return {"lamp": make_product("Desk lamp 台灯", "lamp", price="50.00")}


def basket_with(product):
    basket = Basket.objects.create()
    basket.strategy = Selector().strategy()
    basket.add_product(product)
    return basket


def test_without_methods_shipping_is_free_in_the_tenants_currency(shop):
    basket = basket_with(shop["lamp"])
    methods = Repository().get_shipping_methods(basket)
    assert [method.code for method in methods] == ["free-shipping"]
    assert methods[0].calculate(basket).currency == "CNY"


def test_methods_made_in_oscars_dashboard_are_offered_at_checkout(acme, shop):
    admin = signed_in(acme.host, acme.admin_email)
    response = admin.post("/shop/dashboard/shipping/weight-based/create/", {
        "name": "Courier 快递", "description": "Next day", "default_weight": "1.000",
        "countries": ["US", "CN"]})
    assert response.status_code == 302, response.content[:3000]
    method = WeightBased.objects.get(name="Courier 快递")
    response = admin.post(f"/shop/dashboard/shipping/weight-based/{method.pk}/",
                          {"upper_limit": "10", "charge": "15.00"})
    assert response.status_code == 302
    WeightBased.objects.create(name="Economy", default_weight=1)
    WeightBased.objects.create(name="Royal Mail", default_weight=1).countries.set(["GB"])

    client = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    assert client.post(f"/shop/basket/add/{shop['lamp'].pk}/", {"quantity": 1}).status_code == 302
    assert client.post("/shop/checkout/shipping-address/", ADDRESS).status_code == 302
    page = client.get("/shop/checkout/shipping-method/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Courier 快递" in html
    assert "Economy" in html
    assert "15.00" in html
    assert "¥" in html
    assert "Royal Mail" not in html  # limited to the United Kingdom
    response = client.post("/shop/checkout/shipping-method/", {"method_code": method.code})
    assert response.status_code == 302
    assert response["Location"].endswith(("/payment-details/", "/payment-method/"))


def test_a_bad_method_code_is_refused(acme, shop):
    WeightBased.objects.create(name="Courier", default_weight=1)
    WeightBased.objects.create(name="Economy", default_weight=1)
    client = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    client.post(f"/shop/basket/add/{shop['lamp'].pk}/", {"quantity": 1})
    client.post("/shop/checkout/shipping-address/", ADDRESS)
    response = client.post("/shop/checkout/shipping-method/", {"method_code": "no-such"})
    assert response.status_code in (200, 302, 400)
    assert not response.get("Location", "").endswith(("/payment-details/", "/payment-method/"))


def test_methods_stay_in_their_tenant(acme, globex):
    with tenant_context(acme.tenant):
        WeightBased.objects.create(name="Acme courier", default_weight=1)
    with tenant_context(globex.tenant):
        methods = Repository().get_shipping_methods(
            basket_with(make_product("Desk lamp 台灯", "lamp")))
        assert [method.code for method in methods] == ["free-shipping"]


# --- browsing -----------------------------------------------------------------------------

def test_catalogue_and_category_pages_list_the_tenants_products(acme, globex, catalogue):
    Category = get_model("catalogue", "Category")
    audio = Category.add_root(name="Audio 音频", slug="audio")
    catalogue["headset"].categories.add(audio)
    client = host_client(acme.host)
    everything = client.get("/shop/catalogue/").content.decode()
    assert "Wireless headset 无线耳机" in everything
    assert "Desk lamp 台灯" in everything
    assert "Secret headset" not in everything
    category = client.get(audio.get_absolute_url())
    assert category.status_code == 200
    assert "Wireless headset" in category.content.decode()
    assert "Desk lamp" not in category.content.decode()
    moved = client.get(f"/shop/catalogue/category/old-name_{audio.pk}/")
    assert moved.status_code == 301
    assert client.get("/shop/catalogue/category/none_999999/").status_code == 404
    assert client.get("/shop/catalogue/", {"page": "junk"}).status_code == 200
    assert "Wireless headset" not in host_client(globex.host).get(
        "/shop/catalogue/").content.decode()
