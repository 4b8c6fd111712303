"""The shop end to end in a real browser: a customer of the "Gold" segment signs in, sees the
personal offer with its reason and what other customers also bought, pays on the local fake
Stripe's page, and finds the order in the portal with the status Stripe's webhook gave it."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model
from playwright.sync_api import expect

from crm_apps.customers.models import Account, Contact, Tag
from crm_apps.payments.models import StripeAccountSettings, StripeEvent, StripePayment
from crm_apps.segments.compute import recompute_all
from crm_apps.segments.models import Segment
from realtime.models import Notification
from store.offer.models import SegmentOffer
from store.recommendations.compute import recompute as recompute_recommendations
from tenants.models import Tenant
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.fake_stripe import FakeStripe, use_own_keys
from tests.fixtures.servers import start_server
from tests.fixtures.world import PASSWORD

EMAIL = "customer@acme.example"
OTHER = "other@acme.example"
Basket = get_model("basket", "Basket")
Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Range = get_model("offer", "Range")
StockRecord = get_model("partner", "StockRecord")
UserAddress = get_model("address", "UserAddress")


def product(title: str, price: str):
    made = Product.objects.create(title=title, structure="standalone", is_public=True,
                                  product_class=ProductClass.objects.get(slug="standard"))
    StockRecord.objects.create(product=made, partner=Partner.objects.get(code="default"),
                               partner_sku=f"E2E-{made.pk}", price=Decimal(price),
                               num_in_stock=50)
    return made


def past_order(number: str, user, items: list) -> None:
    """An order another customer completed earlier: what "also bought" learns from."""
    partner = Partner.objects.get(code="default")
    total = sum((item.stockrecords.get().price for item in items), Decimal("0"))
    order = Order.objects.create(number=number, user=user, currency="USD", status="Complete",
                                 total_incl_tax=total, total_excl_tax=total,
                                 shipping_incl_tax=0, shipping_excl_tax=0,
                                 date_placed=timezone.now())
    for item in items:
        record = item.stockrecords.get()
        Line.objects.create(order=order, partner=partner, partner_sku=record.partner_sku,
                            stockrecord=record, product=item, title=item.title, quantity=1,
                            line_price_incl_tax=record.price, line_price_excl_tax=record.price,
                            line_price_before_discounts_incl_tax=record.price,
                            line_price_before_discounts_excl_tax=record.price,
                            unit_price_incl_tax=record.price, unit_price_excl_tax=record.price,
                            status="Complete", num_allocated=1)


@pytest.fixture
def shop_world(committed, tmp_path):
    tenant = Tenant.objects.get(slug="acme")
    users = get_user_model().objects
    with tenant_context(tenant):
        last_notification = (Notification.objects.order_by("-id")
                             .values_list("id", flat=True).first() or 0)
        keys = use_own_keys("acme")
        customer, other = users.get(email=EMAIL), users.get(email=OTHER)
        account = Account.objects.create(name="Summit Outfitters 峰顶户外")
        gold_tag = Tag.objects.create(name="e2e-gold")
        contact = Contact.objects.create(first_name="Mei", last_name="Lin", email=EMAIL,
                                         account=account, portal_user=customer,
                                         lifecycle_stage="customer")
        contact.tags.add(gold_tag)
        Contact.objects.create(first_name="Bo", last_name="Wang", email=OTHER,
                               account=account, portal_user=other)
        backpack = product("Trail backpack 登山背包", "120.00")
        bottle = product("Steel water bottle 保温水壶", "25.00")
        stove = product("Camp stove 露营炉", "60.00")
        for number in range(3):
            past_order(f"E2E-{number}", other, [backpack, bottle])
        past_order("E2E-3", other, [stove])
        gold = Segment.objects.create(
            name="E2E Gold", customer_label="For our gold customers",
            customer_label_zh="金牌客户专享",
            rules=[{"field": "tag", "op": "has", "value": "e2e-gold"}])
        offer_range = Range.objects.create(name="E2E backpacks")
        offer_range.included_products.add(backpack)
        offer = ConditionalOffer.objects.create(
            name="Gold backpack 10%", offer_type=ConditionalOffer.USER,
            condition=Condition.objects.create(range=offer_range, type=Condition.COUNT,
                                               value=1),
            benefit=Benefit.objects.create(range=offer_range, type=Benefit.PERCENTAGE,
                                           value=Decimal("10")))
        SegmentOffer.objects.create(offer=offer, segment=gold, holdout_percent=0)
        recompute_all()
        recompute_recommendations()
    fake = FakeStripe().start()
    server = start_server({"STRIPE_API_BASE": fake.url,
                           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "EMAIL_FILE_PATH": str(tmp_path / "mail")})
    base = f"http://acme.localhost:{server.port}"
    fake.webhook_target = (f"{base}/webhooks/stripe/", keys["webhook_secret"])
    yield {"base": base, "fake": fake, "backpack": backpack, "bottle": bottle,
           "customer": customer}
    server.process.terminate()
    server.process.wait(10)
    fake.stop()
    with tenant_context(tenant):
        orders = Order.objects.filter(user__in=[customer, other])
        StripeEvent.objects.all().delete()
        StripePayment.objects.all().delete()
        address_ids = [pk for pk in orders.values_list("shipping_address_id", flat=True) if pk]
        orders.delete()
        get_model("order", "ShippingAddress").objects.filter(pk__in=address_ids).delete()
        UserAddress.objects.filter(user=customer).delete()
        get_model("analytics", "UserRecord").objects.filter(user__in=[customer, other]).delete()
        Basket.objects.filter(owner__in=[customer, other]).delete()
        Notification.objects.filter(id__gt=last_notification).delete()
        SegmentOffer.objects.filter(segment=gold).delete()
        offer.delete()
        Condition.objects.filter(range=offer_range).delete()
        Benefit.objects.filter(range=offer_range).delete()
        offer_range.delete()
        gold.delete()
        for item in (backpack, bottle, stove):
            item.delete()
        Contact.objects.filter(account=account).delete()
        account.delete()
        gold_tag.delete()
        StripeAccountSettings.objects.all().delete()
        recompute_recommendations()


def test_a_gold_customer_sees_the_offer_and_a_recommendation_and_pays(shop_world, browser):
    base, fake = shop_world["base"], shop_world["fake"]
    backpack = shop_world["backpack"]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, EMAIL, PASSWORD, portal=True)

    # The product page: the personal offer with its reason, and what others also bought.
    page.goto(f"{base}/shop/catalogue/{backpack.slug}_{backpack.pk}/")
    expect(page.locator("body")).to_contain_text("For our gold customers")
    expect(page.locator("body")).to_contain_text("Customers also bought")
    expect(page.locator("body")).to_contain_text(shop_world["bottle"].title)
    screenshot(page, "shop-product-gold-en")

    # Into the basket: the discount is applied and says why.
    page.locator("#add_to_basket_form button[type=submit]").click()
    page.goto(f"{base}/shop/basket/")
    expect(page.locator("body")).to_contain_text("For our gold customers")
    expect(page.locator("body")).to_contain_text("108.00")  # 120.00 less 10 %
    screenshot(page, "shop-basket-gold-en")

    # The same in Chinese.
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page.goto(f"{base}/shop/catalogue/{backpack.slug}_{backpack.pk}/")
    expect(page.locator("body")).to_contain_text("金牌客户专享")
    expect(page.locator("body")).to_contain_text("顾客还购买了")
    screenshot(page, "shop-product-gold-zh")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])

    # Checkout: address, the one shipping method, then Stripe's page pays the order.
    page.goto(f"{base}/shop/checkout/shipping-address/")
    for field, value in (("first_name", "Mei"), ("last_name", "Lin"),
                         ("line1", "88 Century Avenue"), ("line4", "Shanghai"),
                         ("postcode", "200120")):
        page.fill(f"#id_{field}", value)
    page.select_option("#id_country", "CN")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/shop/checkout/payment-details/")
    page.click("#view_preview")
    page.wait_for_url(f"{base}/shop/checkout/preview/")
    expect(page.locator("body")).to_contain_text("108.00")
    page.click("#place-order")
    page.wait_for_url(f"{fake.url}/pay/*")
    expect(page.locator("h1")).to_contain_text("10800 USD")
    page.click("#pay")
    page.wait_for_url(f"{base}/shop/checkout/thank-you/")
    expect(page.locator("#payment-state")).to_have_attribute("data-order-status",
                                                             "Being processed")
    screenshot(page, "shop-thank-you-en")

    # The portal shows the order with the status the webhook gave it.
    page.goto(f"{base}/portal/orders/")
    status = page.locator("[id^=order-status-]").first
    expect(status).to_have_attribute("data-order-status", "Being processed")
    screenshot(page, "shop-portal-orders-en")
    assert [answer for __, answer in fake.delivered] == [200, 200]
    page.context.close()
