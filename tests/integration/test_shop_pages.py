"""The back office's shop pages: tenant admins set currency, tax and personalisation (junk
refused with a 400, other roles refused, every change audited); admins and managers keep the
customer-group price lists; one tenant's ids mean nothing on another tenant's host."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import MANAGER
from crm_apps.segments.models import Segment
from store.shop.models import PriceList, PriceListItem, ShopSettings
from tests.fixtures.world import PASSWORD, signed_in

Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")
SETTINGS_URL = "/app/settings/shop/"
LISTS_URL = "/app/settings/shop/price-lists/"
GOOD = {"currency": "cny", "tax_rate": "13", "prices_include_tax": "", "personalisation_enabled":
        "on"}


def make_product(title="Desk lamp 台灯"):
    product = Product.objects.create(
        title=title, product_class=ProductClass.objects.get(slug="standard"),
        structure="standalone", is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=f"SKU-{product.pk}", price=Decimal("50.00"),
                               num_in_stock=5)
    return product


@pytest.fixture
def manager_email(acme):
    with tenant_context(acme.tenant):
        create_user(email="manager@acme.example", password=PASSWORD, role=MANAGER)
    return "manager@acme.example"


def test_admin_saves_shop_settings_and_the_change_is_audited(acme):
    with tenant_context(acme.tenant):
        lamp = make_product()
    admin = signed_in(acme.host, acme.admin_email)
    page = admin.get(SETTINGS_URL)
    assert page.status_code == 200
    assert 'id="shop-settings-form"' in page.content.decode()
    assert admin.get("/app/settings/branding/").content.decode().count(SETTINGS_URL) >= 1
    assert admin.post(SETTINGS_URL, GOOD).status_code == 302
    with tenant_context(acme.tenant):
        row = ShopSettings.current()
        assert (row.currency, row.tax_rate, row.prices_include_tax,
                row.personalisation_enabled) == ("CNY", Decimal("13.00"), False, True)
        # Existing prices are re-labelled in the new currency, amounts unchanged.
        record = StockRecord.objects.get(product=lamp)
        assert (record.price_currency, record.price) == ("CNY", Decimal("50.00"))
        entry = AuditEntry.objects.get(record_type="shop.shopsettings")
        assert entry.changes["currency"] == ["USD", "CNY"]


@pytest.mark.parametrize("bad", [
    {"currency": "ZZZ"}, {"currency": "XXX"}, {"currency": "us"}, {"currency": "USDX"},
    {"currency": ""}, {"tax_rate": "150"}, {"tax_rate": "-1"}, {"tax_rate": "abc"},
    {"tax_rate": "1e9"}, {"tax_rate": ""},
])
def test_bad_settings_are_refused_with_400(acme, bad):
    admin = signed_in(acme.host, acme.admin_email)
    response = admin.post(SETTINGS_URL, {**GOOD, **bad})
    assert response.status_code == 400
    with tenant_context(acme.tenant):
        assert ShopSettings.current().currency == "USD"


def test_only_tenant_admins_change_shop_settings(acme, manager_email):
    assert signed_in(acme.host, acme.rep_email).post(SETTINGS_URL, GOOD).status_code == 403
    assert signed_in(acme.host, manager_email).get(SETTINGS_URL).status_code == 403
    assert signed_in(acme.host, acme.admin_email).get(SETTINGS_URL).status_code == 200


def test_each_tenant_has_its_own_settings(acme, globex):
    assert signed_in(acme.host, acme.admin_email).post(SETTINGS_URL, GOOD).status_code == 302
    with tenant_context(globex.tenant):
        assert ShopSettings.current().currency == "USD"


# --- price lists --------------------------------------------------------------------------

@pytest.fixture
def gold(in_acme):
    return {"segment": Segment.objects.create(name="Gold"), "lamp": make_product()}


def test_manager_creates_a_price_list_and_adds_prices(acme, gold, manager_email):
    manager = signed_in(acme.host, manager_email)
    assert manager.get(LISTS_URL).status_code == 200
    response = manager.post(LISTS_URL, {"name": "Gold prices", "segment": gold["segment"].pk,
                                        "active": "on", "valid_from": "2026-01-01T00:00",
                                        "valid_to": ""})
    assert response.status_code == 302
    price_list = PriceList.objects.get(name="Gold prices")
    url = f"{LISTS_URL}{price_list.pk}/"
    assert manager.post(url, {"add_item": "1", "product": gold["lamp"].pk,
                              "price": "39.90"}).status_code == 302
    item = PriceListItem.objects.get(price_list=price_list)
    assert (item.product, item.price) == (gold["lamp"], Decimal("39.90"))
    page = manager.get(url).content.decode()
    assert "Desk lamp 台灯" in page
    assert "39.90" in page
    # The same product twice on one list: refused, not a database error.
    assert manager.post(url, {"add_item": "1", "product": gold["lamp"].pk,
                              "price": "30"}).status_code == 400
    assert manager.post(f"{url}items/{item.pk}/delete/").status_code == 302
    assert not PriceListItem.objects.exists()
    assert manager.post(f"{url}delete/").status_code == 302
    assert not PriceList.objects.exists()


@pytest.mark.parametrize("bad", [
    {"name": ""}, {"segment": "999999"}, {"segment": "abc"}, {"valid_from": "yesterday"},
    {"valid_from": "2026-05-01T00:00", "valid_to": "2026-04-01T00:00"},
])
def test_bad_price_lists_are_refused_with_400(acme, gold, bad):
    admin = signed_in(acme.host, acme.admin_email)
    data = {"name": "Gold", "segment": gold["segment"].pk, "active": "on", **bad}
    assert admin.post(LISTS_URL, data).status_code == 400
    assert not PriceList.objects.exists()


@pytest.mark.parametrize("bad", [{"price": "-1"}, {"price": "abc"}, {"price": ""},
                                 {"product": "999999"}, {"product": ""}])
def test_bad_prices_are_refused_with_400(acme, gold, bad):
    price_list = PriceList.objects.create(name="Gold", segment=gold["segment"])
    admin = signed_in(acme.host, acme.admin_email)
    data = {"add_item": "1", "product": gold["lamp"].pk, "price": "10", **bad}
    assert admin.post(f"{LISTS_URL}{price_list.pk}/", data).status_code == 400
    assert not PriceListItem.objects.exists()


def test_price_lists_are_staff_only_and_ids_stay_in_their_tenant(acme, globex, gold):
    price_list = PriceList.objects.create(name="Gold", segment=gold["segment"])
    item = PriceListItem.objects.create(price_list=price_list, product=gold["lamp"],
                                        price=Decimal(1))
    assert signed_in(acme.host, acme.rep_email).get(LISTS_URL).status_code == 403
    assert signed_in(acme.host, acme.admin_email).get(f"{LISTS_URL}999999/").status_code == 404
    other = PriceList.objects.create(name="Other", segment=gold["segment"])
    admin = signed_in(acme.host, acme.admin_email)
    # An item addressed through another list: not found.
    assert admin.post(f"{LISTS_URL}{other.pk}/items/{item.pk}/delete/").status_code == 404
    globex_admin = signed_in(globex.host, globex.admin_email)
    assert globex_admin.get(f"{LISTS_URL}{price_list.pk}/").status_code == 404
    assert globex_admin.post(f"{LISTS_URL}{price_list.pk}/delete/").status_code == 404
    with tenant_context(acme.tenant):
        assert PriceList.objects.filter(pk=price_list.pk).exists()
