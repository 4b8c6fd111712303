"""Segment offers in the shop: Oscar applies them to members only, never to the hold-out group,
another segment, an anonymous shopper or another tenant; they show with their reason in English
and Chinese on the product and basket pages; the lists come from the cache and a basket with ten
offers costs few queries; staff attach them in the dashboard."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import RequestFactory
from django_tenants.utils import tenant_context
from oscar.apps.partner.strategy import Default as DefaultStrategy
from oscar.core.loading import get_class, get_model

from crm_apps.customers.models import Contact
from crm_apps.segments.models import Segment, SegmentMembership
from store.offer import cache as offer_cache
from store.offer.models import SegmentOffer
from tests.fixtures.world import host_client, signed_in

Applicator = get_class("offer.applicator", "Applicator")
Basket = get_model("basket", "Basket")
Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Range = get_model("offer", "Range")
ShopSettings = get_model("shop", "ShopSettings")
StockRecord = get_model("partner", "StockRecord")

GOLD_EN, GOLD_ZH = "For our gold customers", "金牌客户专享"


def make_product(title="Desk lamp 台灯", price="50.00"):
    product = Product.objects.create(
        title=title, product_class=ProductClass.objects.get(slug="standard"),
        structure="standalone", is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=f"SKU-{product.pk}", price=Decimal(price),
                               price_currency="USD", num_in_stock=100)
    return product


def make_offer(name, products, *, percent=10, offer_type=None, **fields):
    """An offer of ``percent``% off the products (one of them in the basket is enough)."""
    range_ = Range.objects.create(name=f"Range of {name}")
    for product in products:
        range_.add_product(product)
    return ConditionalOffer.objects.create(
        name=name, offer_type=offer_type or ConditionalOffer.USER,
        condition=Condition.objects.create(range=range_, type=Condition.COUNT, value=1),
        benefit=Benefit.objects.create(range=range_, type=Benefit.PERCENTAGE,
                                       value=Decimal(percent)), **fields)


def user(email):
    return get_user_model().objects.get(email=email)


def contact_for(email, **fields):
    return Contact.objects.create(first_name="Shopper", last_name=email.split("@")[0],
                                  email=email, portal_user=user(email), **fields)


def make_segment(name="Gold", en=GOLD_EN, zh=GOLD_ZH):
    return Segment.objects.create(name=name, customer_label=en, customer_label_zh=zh)


def shopper(email="customer@acme.example", host="acme.localhost"):
    return host_client(host, email=email, login_path="/portal/login/")


def product_url(product):
    return f"/shop/catalogue/{product.slug}_{product.pk}/"


def basket_of(owner, *products):
    basket = Basket.objects.create(owner=owner)
    basket.strategy = DefaultStrategy()
    for product in products:
        basket.add_product(product, 1)
    return basket


@pytest.fixture
def gold(in_acme):
    """A lamp with a 10% offer for the Gold segment (no hold-out); customer@ is a member,
    other@ is in the Silver segment."""
    lamp = make_product()
    gold, silver = make_segment(), make_segment("Silver", "For silver", "银牌")
    member, outsider = contact_for("customer@acme.example"), contact_for("other@acme.example")
    SegmentMembership.objects.create(segment=gold, contact=member)
    SegmentMembership.objects.create(segment=silver, contact=outsider)
    offer = make_offer("Gold lamp deal", [lamp])
    segment_offer = SegmentOffer.objects.create(offer=offer, segment=gold, holdout_percent=0)
    return {"lamp": lamp, "offer": offer, "segment_offer": segment_offer, "member": member,
            "segment": gold, "silver": silver}


def offers_for(email):
    return [offer.pk for offer in Applicator().get_user_offers(user(email))]


def test_reasons_default_to_the_segments_labels(gold):
    assert (gold["segment_offer"].reason, gold["segment_offer"].reason_zh) == (GOLD_EN, GOLD_ZH)
    assert gold["segment_offer"].reason_text("zh-hans") == GOLD_ZH
    assert gold["segment_offer"].reason_text("en") == GOLD_EN


def test_only_members_get_the_offer_and_it_discounts_their_basket(gold):
    assert offers_for("customer@acme.example") == [gold["offer"].pk]
    assert offers_for("other@acme.example") == []
    assert Applicator().get_user_offers(None) == []

    member_basket = basket_of(user("customer@acme.example"), gold["lamp"])
    Applicator().apply(member_basket, user("customer@acme.example"))
    assert member_basket.total_discount == Decimal("5.00")
    other_basket = basket_of(user("other@acme.example"), gold["lamp"])
    Applicator().apply(other_basket, user("other@acme.example"))
    assert other_basket.total_discount == Decimal("0.00")


def test_a_segment_offer_is_a_user_offer_oscar_never_applies_to_everyone(gold):
    assert gold["offer"].offer_type == ConditionalOffer.USER
    assert gold["offer"].pk not in [o.pk for o in Applicator().get_site_offers()]


def test_the_hold_out_group_never_gets_the_offer(gold):
    segment_offer = gold["segment_offer"]
    segment_offer.holdout_percent = 50
    segment_offer.save()
    member = gold["member"]
    # Give the customer a contact that falls in the hold-out half (the hash is stable).
    while not offer_cache.in_holdout(gold["offer"].pk, member.pk, 50):
        member.delete()
        member = contact_for("customer@acme.example")
        SegmentMembership.objects.create(segment=gold["segment"], contact=member)
    assert offers_for("customer@acme.example") == []
    assert offers_for("customer@acme.example") == []  # and again: in stays in
    page = shopper().get(product_url(gold["lamp"])).content.decode()
    assert GOLD_EN not in page
    # The same contact is outside the 0% group of the same offer.
    segment_offer.holdout_percent = 0
    segment_offer.save()
    assert offers_for("customer@acme.example") == [gold["offer"].pk]


def test_the_hold_out_split_is_stable_and_near_its_share():
    held = [offer_cache.in_holdout(7, contact, 10) for contact in range(2000)]
    assert held == [offer_cache.in_holdout(7, contact, 10) for contact in range(2000)]
    assert 150 < sum(held) < 250
    assert not any(offer_cache.in_holdout(7, contact, 0) for contact in range(2000))


def test_switching_personalisation_off_stops_every_segment_offer(gold):
    settings_row = ShopSettings.current()
    settings_row.personalisation_enabled = False
    settings_row.save()
    assert offers_for("customer@acme.example") == []
    assert GOLD_EN not in shopper().get(product_url(gold["lamp"])).content.decode()
    settings_row.personalisation_enabled = True
    settings_row.save()
    assert offers_for("customer@acme.example") == [gold["offer"].pk]


def test_suspended_ended_and_inactive_segment_offers_are_not_given(gold):
    offer = gold["offer"]
    offer.suspend()
    assert offers_for("customer@acme.example") == []
    offer.unsuspend()
    assert offers_for("customer@acme.example") == [offer.pk]
    gold["segment"].is_active = False
    gold["segment"].save()
    assert offers_for("customer@acme.example") == []


def test_the_product_page_shows_the_reason_in_english_and_chinese(gold):
    client = shopper()
    english = client.get(product_url(gold["lamp"])).content.decode()
    assert 'id="personal-offers"' in english
    assert GOLD_EN in english
    assert "Gold lamp deal" in english
    chinese = client.get(product_url(gold["lamp"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert GOLD_ZH in chinese.content.decode()
    # A product outside the offer's range shows nothing.
    chair = make_product("Chair")
    assert 'id="personal-offers"' not in client.get(product_url(chair)).content.decode()


def test_nobody_else_sees_the_reason_on_the_product_page(gold):
    for client in (shopper("other@acme.example"), host_client("acme.localhost")):
        page = client.get(product_url(gold["lamp"]))
        assert page.status_code == 200
        assert GOLD_EN not in page.content.decode()
        assert 'id="personal-offers"' not in page.content.decode()


def test_the_basket_shows_the_segment_discount_with_its_reason(gold):
    client = shopper()
    assert client.post(f"/shop/basket/add/{gold['lamp'].pk}/",
                       {"quantity": 2}).status_code == 302
    page = client.get("/shop/basket/")
    text = page.content.decode()
    assert 'id="personal-discounts"' in text
    assert GOLD_EN in text
    assert page.context["basket"].total_discount == Decimal("10.00")
    chinese = client.get("/shop/basket/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert GOLD_ZH in chinese

    other = shopper("other@acme.example")
    other.post(f"/shop/basket/add/{gold['lamp'].pk}/", {"quantity": 2})
    page = other.get("/shop/basket/")
    assert 'id="personal-discounts"' not in page.content.decode()
    assert page.context["basket"].total_discount == Decimal("0.00")


def test_a_site_offer_in_the_basket_is_not_shown_as_personal(gold):
    chair = make_product("Chair")
    make_offer("Chairs for all", [chair], offer_type=ConditionalOffer.SITE)
    client = shopper("other@acme.example")
    client.post(f"/shop/basket/add/{chair.pk}/", {"quantity": 1})
    page = client.get("/shop/basket/")
    assert page.context["basket"].total_discount == Decimal("5.00")
    assert 'id="personal-discounts"' not in page.content.decode()


def test_globex_shoppers_never_get_acme_offers(gold, globex):
    acme_segment_id = gold["segment"].pk
    assert offers_for("customer@acme.example") == [gold["offer"].pk]  # acme's cache is warm
    with tenant_context(globex.tenant):
        # The same segment id in globex, with globex's customer in it.
        segment = Segment.objects.create(pk=acme_segment_id, name="Gold",
                                         customer_label=GOLD_EN)
        SegmentMembership.objects.create(segment=segment,
                                         contact=contact_for("customer@globex.example"))
        assert offers_for("customer@globex.example") == []
        assert offer_cache.segment_offers() == {}
        lamp = make_product()
        page = shopper("customer@globex.example", globex.host).get(product_url(lamp))
        assert page.status_code == 200
        assert GOLD_EN not in page.content.decode()


def test_offer_lists_come_from_the_cache_until_something_changes(gold,
                                                                django_assert_num_queries):
    member = user("customer@acme.example")
    Applicator().get_user_offers(member)
    if offer_cache.segments_version() is not None:
        with django_assert_num_queries(0):
            Applicator().get_user_offers(member)
    version = offer_cache.offers_version()
    gold["offer"].name = "Renamed"
    gold["offer"].save()
    assert offer_cache.offers_version() != version
    assert [o.name for o in Applicator().get_user_offers(member)] == ["Renamed"]
    # A product added to the range counts at once.
    chair = make_product("Chair")
    gold["offer"].benefit.range.add_product(chair)
    offers = Applicator().get_user_offers(member)
    assert offers[0].benefit.range.contains_product(chair)


def test_applying_ten_cached_offers_to_a_basket_takes_few_queries(
        gold, django_assert_max_num_queries):
    member = user("customer@acme.example")
    products = [make_product(f"Item {n}") for n in range(5)]
    for n in range(5):
        make_offer(f"Site {n}", products[n:n + 2], offer_type=ConditionalOffer.SITE)
    for n in range(4):
        SegmentOffer.objects.create(offer=make_offer(f"Gold {n}", products[n:n + 1]),
                                    segment=gold["segment"], holdout_percent=0)
    basket = basket_of(member, gold["lamp"], *products)
    request = RequestFactory().get("/shop/basket/")
    request.user = member
    Applicator().apply(basket, member, request)  # warms the cache
    assert len(basket.offer_applications.applications) >= 6
    expected_discount = basket.total_discount
    # Without the cache and the precomputed ranges this takes well over a hundred queries.
    basket = Basket.objects.get(pk=basket.pk)
    basket.strategy = DefaultStrategy()
    # What any basket page loads anyway (lines and their prices), so only offers are counted.
    assert basket.owner == member
    assert all(line.unit_price_incl_tax for line in basket.all_lines())
    with django_assert_max_num_queries(2):
        Applicator().apply(basket, member, request)
    assert len(Applicator().get_offers(basket, member)) == 10
    assert basket.total_discount == expected_discount


# --- staff pages ---

def test_staff_attach_an_offer_to_a_segment(in_acme):
    lamp = make_product()
    offer = make_offer("Lamp deal", [lamp], offer_type=ConditionalOffer.SITE)
    segment = make_segment()
    admin = signed_in(in_acme.host, in_acme.admin_email)
    page = admin.get("/shop/dashboard/segment-offers/new/")
    assert page.status_code == 200
    assert "Lamp deal" in page.content.decode()
    response = admin.post("/shop/dashboard/segment-offers/new/", {
        "offer": offer.pk, "segment": segment.pk, "holdout_percent": 20,
        "reason": "", "reason_zh": ""})
    assert response.status_code == 302
    segment_offer = SegmentOffer.objects.get()
    offer.refresh_from_db()
    assert offer.offer_type == ConditionalOffer.USER
    assert (segment_offer.holdout_percent, segment_offer.reason, segment_offer.reason_zh) == (
        20, GOLD_EN, GOLD_ZH)
    listing = admin.get("/shop/dashboard/segment-offers/").content.decode()
    assert f"/shop/dashboard/segment-offers/{segment_offer.pk}/report/" in listing
    # Oscar's dashboard menu leads there.
    menu = admin.get("/shop/dashboard/").content.decode()
    assert 'href="/shop/dashboard/segment-offers/"' in menu
    response = admin.post(f"/shop/dashboard/segment-offers/{segment_offer.pk}/", {
        "offer": offer.pk, "segment": segment.pk, "holdout_percent": 5,
        "reason": "Thank you", "reason_zh": "谢谢"})
    assert response.status_code == 302
    segment_offer.refresh_from_db()
    assert (segment_offer.holdout_percent, segment_offer.reason_zh) == (5, "谢谢")


@pytest.mark.parametrize("payload", [
    {"offer": "x", "segment": "y", "holdout_percent": "many"},
    {"offer": "999999", "segment": "999999", "holdout_percent": "10"},
    {"holdout_percent": "51"},
    {"holdout_percent": "-1"},
    {},
])
def test_bad_input_on_the_staff_pages_is_400(in_acme, payload):
    admin = signed_in(in_acme.host, in_acme.admin_email)
    assert admin.post("/shop/dashboard/segment-offers/new/", payload).status_code == 400
    assert admin.post("/shop/dashboard/segment-offers/vouchers/issue/",
                      payload).status_code == 400
    assert admin.get("/shop/dashboard/segment-offers/999999/report/").status_code == 404
    assert admin.get("/shop/dashboard/segment-offers/999999/").status_code == 404
    assert admin.get("/shop/dashboard/segment-offers/abc/report/").status_code == 404
    assert SegmentOffer.objects.count() == 0


def test_only_shop_managers_open_the_pages(gold, acme):
    pk = gold["segment_offer"].pk
    paths = ["/shop/dashboard/segment-offers/", "/shop/dashboard/segment-offers/new/",
             f"/shop/dashboard/segment-offers/{pk}/",
             f"/shop/dashboard/segment-offers/{pk}/report/",
             f"/shop/dashboard/segment-offers/{pk}/report/?format=json",
             "/shop/dashboard/segment-offers/vouchers/issue/"]
    anonymous = host_client(acme.host)
    rep = signed_in(acme.host, acme.rep_email)
    customer = shopper()
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert "login" in response["Location"], path
        assert rep.get(path).status_code == 403, path
        assert customer.get(path).status_code == 403, path
    assert rep.post("/shop/dashboard/segment-offers/new/", {
        "offer": gold["offer"].pk, "segment": gold["segment"].pk,
        "holdout_percent": 0}).status_code == 403


def test_globex_staff_cannot_reach_acme_segment_offers(gold, globex):
    pk = gold["segment_offer"].pk
    admin = signed_in(globex.host, globex.admin_email)
    assert admin.get(f"/shop/dashboard/segment-offers/{pk}/report/").status_code == 404
    assert admin.get(f"/shop/dashboard/segment-offers/{pk}/").status_code == 404
    listing = admin.get("/shop/dashboard/segment-offers/").content.decode()
    assert "Gold lamp deal" not in listing


def forget_cached_offers(*tenants) -> None:
    """Start from new cache versions: a test's rows are rolled back without a signal, so an
    offer list cached by an earlier test would otherwise outlive them."""
    for tenant in tenants:
        with tenant_context(tenant):
            cache.delete(offer_cache.VERSION_KEY)


@pytest.fixture(autouse=True)
def _fresh_offer_cache(acme, globex):
    forget_cached_offers(acme.tenant, globex.tenant)
    yield
    forget_cached_offers(acme.tenant, globex.tenant)
