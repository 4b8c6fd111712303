"""Store checkout with Stripe against the local fake: "Place order" leaves the order pending
payment and sends the shopper to Stripe; only the signed webhook pays it (once, however often it
arrives); an expired, declined or cancelled payment fails the order and gives the basket back;
a tenant without Stripe gets a message and no order; another tenant's events and another
shopper's requests touch nothing."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from crm_apps.customers.models import Account, Contact
from crm_apps.payments.models import StripeAccountSettings, StripePayment
from realtime.models import Notification
from store.checkout import stripe_orders
from tenants.models import Tenant
from tests.fixtures.fake_stripe import signed_webhook
from tests.fixtures.world import PASSWORD, host_client

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")
PaymentEvent = get_model("order", "PaymentEvent")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Source = get_model("payment", "Source")
StockRecord = get_model("partner", "StockRecord")

HOST = "acme.localhost"
ACME_SECRET = "whsec_acme_test_secret"  # noqa: S105
GLOBEX_SECRET = "whsec_globex_test_secret"  # noqa: S105
ADDRESS = {"first_name": "Wei", "last_name": "Zhang", "line1": "1 Market St",
           "line4": "San Francisco", "state": "CA", "postcode": "94105", "country": "US"}


def configure_stripe(secret: str) -> None:
    StripeAccountSettings.objects.update_or_create(pk=1, defaults={
        "mode": StripeAccountSettings.Mode.OWN_KEYS, "secret_key": "sk_test_store_123456",
        "webhook_secret": secret})


def make_product(title="Desk lamp 台灯", price="50.00", stock=10):
    product = Product.objects.create(
        title=title, product_class=ProductClass.objects.get(slug="standard"),
        structure="standalone", is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=f"SKU-{product.pk}", price=Decimal(price),
                               price_currency="USD", num_in_stock=stock)
    return product


@pytest.fixture
def shop(in_acme):
    """acme with Stripe keys, a lamp in stock, and two portal shoppers with their contacts."""
    configure_stripe(ACME_SECRET)
    users = get_user_model().objects
    account = Account.objects.create(name="Initech")
    for email in ("customer@acme.example", "other@acme.example"):
        Contact.objects.create(first_name="Shopper", last_name=email.split("@")[0],
                               account=account, email=email, portal_user=users.get(email=email))
    return {"lamp": make_product()}


def shopper(email="customer@acme.example", host=HOST):
    return host_client(host, email=email, login_path="/portal/login/")


def fill_basket_and_reach_preview(client, product, quantity=2):
    assert client.post(f"/shop/basket/add/{product.pk}/",
                       {"quantity": quantity}).status_code == 302
    response = client.post("/shop/checkout/shipping-address/", ADDRESS)
    assert response.status_code == 302, response.content[:2000]
    # One free shipping method and no payment choice: Oscar walks on to payment details.
    response = client.get("/shop/checkout/shipping-method/", follow=True)
    assert response.redirect_chain[-1][0] == "/shop/checkout/payment-details/"
    return response


def place_order(client, product, quantity=2):
    fill_basket_and_reach_preview(client, product, quantity)
    preview = client.get("/shop/checkout/preview/")
    assert preview.status_code == 200
    assert b'id="place_order_form"' in preview.content
    return client.post("/shop/checkout/preview/", {"action": "place_order"})


def deliver(client, event: dict, secret: str = ACME_SECRET):
    body, header = signed_webhook(event, secret)
    return client.post("/webhooks/stripe/", body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=header)


def the_order() -> tuple:
    order = Order.objects.get()
    return order, StripePayment.objects.get(reference__order_number=order.number)


def test_the_return_confirms_nothing_the_webhook_pays_once(shop, fake_stripe,
                                                          django_capture_on_commit_callbacks):
    client = shopper()
    response = place_order(client, shop["lamp"])
    order, payment = the_order()
    # The shopper is on their way to Stripe's page, the order waits for the money.
    assert response.status_code == 302
    assert response["Location"] == f"{fake_stripe.url}/pay/{payment.checkout_session_id}"
    assert order.status == stripe_orders.PENDING_PAYMENT
    assert order.user.email == "customer@acme.example"
    assert (payment.purpose, payment.amount, payment.currency, payment.status) == (
        "store_order", Decimal("100.00"), "USD", "pending")
    assert payment.amount == order.total_incl_tax
    assert payment.customer_user == order.user
    assert order.basket.status == Basket.FROZEN
    session = fake_stripe.sessions[payment.checkout_session_id]
    assert (session["amount_total"], session["currency"]) == (10000, "usd")
    assert session["success_url"] == "http://acme.localhost/shop/checkout/thank-you/"
    assert session["cancel_url"] == "http://acme.localhost/shop/checkout/payment-cancelled/"
    assert session["customer_email"] == "customer@acme.example"
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.idempotency_key == f"{payment.pk}:checkout"

    # The browser comes back before any webhook: still pending, and the page says so.
    thanks = client.get("/shop/checkout/thank-you/")
    assert thanks.status_code == 200
    assert b'data-order-status="Pending payment"' in thanks.content
    assert b"waiting for Stripe to confirm your payment" in thanks.content
    order.refresh_from_db()
    assert order.status == stripe_orders.PENDING_PAYMENT
    assert not order.sources.exists()
    assert not order.payment_events.exists()

    # Stripe's signed events arrive: the order is paid, the basket done, the shopper told.
    completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
    webhook = host_client(HOST)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(webhook, completed).status_code == 200
    order.refresh_from_db()
    assert order.status == "Being processed"
    # Oscar's confirmation (lines and totals) goes out once paid, beside the status e-mail.
    confirmations = [m for m in mail.outbox
                     if m.subject == f"Confirmation of order {order.number}"]
    assert [m.to for m in confirmations] == [["customer@acme.example"]]
    assert "100.00" in confirmations[0].body
    [source] = order.sources.all()
    assert (source.source_type.name, source.amount_allocated, source.amount_debited,
            source.currency) == ("Stripe", Decimal("100.00"), Decimal("100.00"), "USD")
    [event] = order.payment_events.all()
    assert (event.event_type.name, event.amount) == ("Paid", Decimal("100.00"))
    assert Basket.objects.get(pk=order.basket_id).status == Basket.SUBMITTED
    told = Notification.objects.filter(kind="store.order_paid")
    assert [(n.recipient.email, n.link) for n in told] == [
        ("customer@acme.example", f"/portal/orders/{order.number}/")]
    assert order.number in told[0].title

    # Replays and the second event of the same payment change nothing.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for again in (completed, completed, succeeded, succeeded):
            assert deliver(webhook, again).status_code == 200
    assert mail.outbox == []
    order.refresh_from_db()
    assert order.status == "Being processed"
    assert (order.sources.count(), order.payment_events.count()) == (1, 1)
    assert Notification.objects.filter(kind="store.order_paid").count() == 1
    assert order.status_changes.filter(new_status="Being processed").count() == 1

    paid_page = client.get("/shop/checkout/thank-you/")
    assert b'data-order-status="Being processed"' in paid_page.content
    assert b"Payment received for order" in paid_page.content
    portal_page = client.get(f"/portal/orders/{order.number}/")
    assert portal_page.status_code == 200


def test_a_late_failure_never_unpays_and_a_bad_signature_does_nothing(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    webhook = host_client(HOST)
    completed, __ = fake_stripe.pay(payment.checkout_session_id)
    assert deliver(webhook, completed, secret="whsec_wrong").status_code == 400
    order.refresh_from_db()
    assert order.status == stripe_orders.PENDING_PAYMENT
    assert deliver(webhook, completed).status_code == 200
    assert deliver(webhook, fake_stripe.expire(payment.checkout_session_id)).status_code == 200
    order.refresh_from_db()
    assert order.status == "Being processed"
    assert Basket.objects.get(pk=order.basket_id).status == Basket.SUBMITTED


def test_an_expired_session_fails_the_order_and_gives_the_basket_back(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    stock = StockRecord.objects.get(product=shop["lamp"])
    assert stock.num_allocated == 2
    assert client.get("/shop/basket/").context["basket"].num_items == 0  # frozen meanwhile

    assert deliver(host_client(HOST), fake_stripe.expire(payment.checkout_session_id)
                   ).status_code == 200
    order.refresh_from_db()
    assert order.status == stripe_orders.PAYMENT_FAILED
    stock.refresh_from_db()
    assert stock.num_allocated == 0  # the lamps are for sale again
    assert order.notes.filter(message__contains="checkout.session.expired").exists()
    thanks = client.get("/shop/checkout/thank-you/")
    assert b"did not go through" in thanks.content

    # The shopper's basket is back (merged with the empty one made meanwhile) and checks out
    # again as a new order with a new payment.
    basket = client.get("/shop/basket/").context["basket"]
    assert basket.num_items == 2
    response = place_order_again(client)
    assert response.status_code == 302
    assert Order.objects.count() == 2
    retry = Order.objects.exclude(pk=order.pk).get()
    assert retry.number == f"{order.number}-2"
    assert retry.status == stripe_orders.PENDING_PAYMENT
    assert StripePayment.objects.filter(reference__order_number=retry.number).count() == 1
    assert fake_stripe.created("/v1/checkout/sessions") == 2


def place_order_again(client):
    """Shipping details are still in the checkout session: straight to preview and order."""
    assert client.get("/shop/checkout/preview/").status_code == 200
    return client.post("/shop/checkout/preview/", {"action": "place_order"})


def test_a_declined_card_fails_the_order(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    assert deliver(host_client(HOST), fake_stripe.decline(payment.checkout_session_id)
                   ).status_code == 200
    order.refresh_from_db()
    assert order.status == stripe_orders.PAYMENT_FAILED
    assert Basket.objects.get(pk=order.basket_id).status == Basket.OPEN
    assert StockRecord.objects.get(product=shop["lamp"]).num_allocated == 0
    # Paying on a second try within the same session still pays the order.
    completed, __ = fake_stripe.pay(payment.checkout_session_id)
    assert deliver(host_client(HOST), completed).status_code == 200
    order.refresh_from_db()
    assert order.status == "Being processed"
    assert order.sources.count() == 1
    assert StockRecord.objects.get(product=shop["lamp"]).num_allocated == 2  # held again


def test_cancelling_on_stripe_explains_and_restores_the_basket(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    page = client.get("/shop/checkout/payment-cancelled/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-outcome="cancelled"' in text
    assert "nothing was charged" in text
    assert "Your basket has been restored" in text
    order.refresh_from_db()
    assert order.status == stripe_orders.PAYMENT_FAILED
    assert client.get("/shop/basket/").context["basket"].num_items == 2
    # Coming back again (here reading Chinese), or Stripe's later expiry, changes nothing more.
    again = client.get("/shop/checkout/payment-cancelled/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert again.status_code == 200
    assert 'data-outcome="failed"' in again.content.decode()
    assert deliver(host_client(HOST), fake_stripe.expire(payment.checkout_session_id)
                   ).status_code == 200
    order.refresh_from_db()
    assert order.status == stripe_orders.PAYMENT_FAILED
    assert client.get("/shop/basket/").context["basket"].num_items == 2


def test_the_cancel_page_does_not_cancel_a_paid_order(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    completed, __ = fake_stripe.pay(payment.checkout_session_id)
    assert deliver(host_client(HOST), completed).status_code == 200
    page = client.get("/shop/checkout/payment-cancelled/")
    assert 'data-outcome="paid"' in page.content.decode()
    order.refresh_from_db()
    assert order.status == "Being processed"
    assert client.get("/shop/basket/").context["basket"].num_items == 0


def test_stripe_unreachable_leaves_no_pending_order_and_the_basket(shop, fake_stripe):
    fake_stripe.fail_next(3, status=500)  # the client retries twice
    client = shopper()
    response = place_order(client, shop["lamp"])
    assert response.status_code == 200
    assert b"Stripe could not be reached" in response.content
    order = Order.objects.get()
    assert order.status == stripe_orders.PAYMENT_FAILED
    assert client.get("/shop/basket/").context["basket"].num_items == 2


def test_a_tenant_without_stripe_says_so_and_creates_no_order(shop, fake_stripe):
    StripeAccountSettings.objects.all().delete()
    client = shopper()
    details = fill_basket_and_reach_preview(client, shop["lamp"])
    assert details.status_code == 200
    assert b'id="stripe-not-configured"' in details.content
    assert b"Online payment is not set up for this shop yet" in details.content
    preview = client.get("/shop/checkout/preview/")
    assert preview.status_code == 200
    assert b'id="stripe-not-configured"' in preview.content
    assert b'id="place_order_form"' not in preview.content
    # Posting "Place order" anyway: the same message, no order, no payment, the basket kept.
    response = client.post("/shop/checkout/preview/", {"action": "place_order"})
    assert response.status_code == 200
    assert b"Online payment is not set up for this shop yet" in response.content
    assert not Order.objects.exists()
    assert not StripePayment.objects.exists()
    assert fake_stripe.requests == []
    assert client.get("/shop/basket/").context["basket"].num_items == 2
    # Chinese readers get the message in their language's catalogue, never an error page.
    chinese = client.get("/shop/checkout/payment-details/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200


def test_another_tenants_webhook_does_not_touch_this_order(shop, fake_stripe, globex, in_acme):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
    with tenant_context(globex.tenant):
        configure_stripe(GLOBEX_SECRET)
    globex_webhook = host_client(globex.host)
    # Signed with globex's secret, sent to globex: acme's payment is not in globex's schema.
    for event in (completed, succeeded):
        response = globex_webhook.post(
            "/webhooks/stripe/", signed_webhook(event, GLOBEX_SECRET)[0],
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signed_webhook(event, GLOBEX_SECRET)[1])
        assert response.status_code == 200
        assert response.json()["outcome"] == "no matching payment"
    with tenant_context(globex.tenant):
        assert not Order.objects.filter(number=order.number).exists()
    # Signed with globex's secret, sent to acme: refused.
    assert deliver(host_client(HOST), completed, secret=GLOBEX_SECRET).status_code == 400
    connection.set_tenant(in_acme.tenant)  # the requests left the connection elsewhere
    order.refresh_from_db()
    assert order.status == stripe_orders.PENDING_PAYMENT
    assert not order.sources.exists()
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_another_shopper_sees_and_changes_none_of_the_order(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    other = shopper("other@acme.example")
    thanks = other.get("/shop/checkout/thank-you/")
    assert thanks.status_code == 302  # no order of theirs: Oscar sends them home
    cancelled = other.get("/shop/checkout/payment-cancelled/")
    assert (cancelled.status_code, cancelled["Location"]) == (302, "/shop/basket/")
    for path in (f"/shop/accounts/orders/{order.number}/",
                 f"/portal/orders/{order.number}/"):
        response = other.get(path)
        assert response.status_code == 404, path
        assert order.number.encode() not in response.content
    order.refresh_from_db()
    assert order.status == stripe_orders.PENDING_PAYMENT
    assert Basket.objects.get(pk=order.basket_id).status == Basket.FROZEN
    # The shopper's own pages show it.
    assert client.get(f"/shop/accounts/orders/{order.number}/").status_code == 200
    assert b"Pending payment" in client.get(f"/portal/orders/{order.number}/").content


def test_a_stripe_refund_is_recorded_on_the_order_once(shop, fake_stripe):
    from core import stripe_gateway

    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    webhook = host_client(HOST)
    for event in fake_stripe.pay(payment.checkout_session_id):
        assert deliver(webhook, event).status_code == 200
    payment.refresh_from_db()
    refund_id = stripe_gateway.refund(payment, Decimal("40.00"), key_suffix="lamp-1")
    refunded = fake_stripe.refund_event(refund_id)
    for __ in range(3):
        assert deliver(webhook, refunded).status_code == 200
    source = order.sources.get()
    assert (source.amount_debited, source.amount_refunded) == (Decimal("100.00"),
                                                               Decimal("40.00"))
    assert [(e.event_type.name, e.amount) for e in order.payment_events.order_by("pk")] == [
        ("Paid", Decimal("100.00")), ("Refunded", Decimal("40.00"))]


# --- over real sockets: our checkout, Stripe's page, the webhook to our server ------------

@pytest.fixture
def committed_shop(committed):
    """acme with Stripe keys, a lamp and a shopper's contact, committed so the server in
    another process sees the order; everything the test made is removed afterwards."""
    user_model = get_user_model()
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        configure_stripe(ACME_SECRET)
        user = user_model.objects.get(email="customer@acme.example")
        account = Account.objects.create(name="Socket buyer")
        Contact.objects.create(first_name="Socket", last_name="Buyer", account=account,
                               email=user.email, portal_user=user)
        lamp = make_product()
    yield {"tenant": tenant, "lamp": lamp, "user": user}
    with tenant_context(tenant):
        from crm_apps.payments.models import StripeEvent

        ShippingAddress = get_model("order", "ShippingAddress")
        UserAddress = get_model("address", "UserAddress")
        UserRecord = get_model("analytics", "UserRecord")
        orders = Order.objects.filter(user=user)
        address_ids = list(orders.values_list("shipping_address_id", flat=True))
        StripeEvent.objects.all().delete()
        StripePayment.objects.all().delete()
        orders.delete()
        ShippingAddress.objects.filter(pk__in=address_ids).delete()
        UserAddress.objects.filter(user=user).delete()
        UserRecord.objects.filter(user=user).delete()
        Basket.objects.filter(owner=user).delete()
        Notification.objects.filter(recipient=user).delete()
        lamp.delete()
        Contact.objects.filter(account=account).delete()
        account.delete()
        StripeAccountSettings.objects.all().delete()


@pytest.mark.filterwarnings("ignore:remove is not implemented in this backend:UserWarning")
def test_stripes_page_pays_through_our_server_and_the_thank_you_page_shows_it(
        committed_shop, fake_stripe, live_asgi):
    import httpx

    client = shopper()
    response = place_order(client, committed_shop["lamp"])
    pay_page = response["Location"]
    assert pay_page.startswith(f"{fake_stripe.url}/pay/")
    with tenant_context(committed_shop["tenant"]):
        order = Order.objects.get(user=committed_shop["user"])
    assert order.status == stripe_orders.PENDING_PAYMENT
    fake_stripe.webhook_target = (f"http://acme.localhost:{live_asgi.port}/webhooks/stripe/",
                                  ACME_SECRET)
    assert httpx.get(pay_page).status_code == 200
    paid = httpx.post(pay_page)
    assert paid.status_code == 303
    assert paid.headers["location"] == "http://acme.localhost/shop/checkout/thank-you/"
    assert [status for __, status in fake_stripe.delivered] == [200, 200]
    thanks = client.get("/shop/checkout/thank-you/")
    assert b'data-order-status="Being processed"' in thanks.content
    with tenant_context(committed_shop["tenant"]):
        order.refresh_from_db()
        assert order.status == "Being processed"
        assert order.sources.get().amount_debited == Decimal("100.00")
        assert Notification.objects.filter(recipient=committed_shop["user"],
                                           kind="store.order_paid").count() == 1


def test_a_signed_out_shopper_checks_out_as_a_guest_or_signs_in_with_the_portal_login(shop):
    anonymous = host_client(HOST)
    # Nothing in the basket: nothing to check out.
    assert anonymous.get("/shop/checkout/")["Location"] == "/shop/basket/"
    assert anonymous.post(f"/shop/basket/add/{shop['lamp'].pk}/",
                          {"quantity": 1}).status_code == 302
    # With a basket: Oscar's gateway offers the guest's e-mail or a sign-in.
    gateway = anonymous.get("/shop/checkout/", follow=True)
    assert gateway.status_code == 200
    assert b'name="username"' in gateway.content
    assert b'value="anonymous"' in gateway.content
    # New accounts are opened in the portal, which links them to the customer's contact.
    assert b'value="new"' not in gateway.content
    assert b'href="/portal/register/?next=/shop/checkout/"' in gateway.content
    refused = anonymous.post("/shop/checkout/", {"username": "new@example.com",
                                                 "options": "new"})
    assert refused.status_code == 200
    assert "options" in refused.context["form"].errors
    # Signing in there is the portal login: the same user, and the checkout goes on.
    signed = anonymous.post("/shop/checkout/", {
        "username": "customer@acme.example", "password": PASSWORD, "options": "existing"})
    assert signed.status_code == 302
    assert int(anonymous.session["_auth_user_id"]) == get_user_model().objects.get(
        email="customer@acme.example").pk
    # A saved address book stays behind the portal's sign-in.
    assert host_client(HOST).get("/shop/checkout/user-address/edit/1/")["Location"] == (
        "/portal/login/?next=/shop/checkout/user-address/edit/1/")
    assert not Order.objects.exists()


@pytest.mark.filterwarnings("ignore:remove is not implemented in this backend:UserWarning")
def test_cancel_page_and_payment_at_the_same_moment_end_paid(committed_shop, fake_stripe):
    """The shopper's cancel page and Stripe's success race: both take the payment's row lock
    first, so whichever comes second sees the first's result, and the money always wins."""
    import threading

    from django.test import Client

    client = shopper()
    place_order(client, committed_shop["lamp"])
    with tenant_context(committed_shop["tenant"]):
        order = Order.objects.get(user=committed_shop["user"])
        payment = StripePayment.objects.get(reference__order_number=order.number)
    completed, __ = fake_stripe.pay(payment.checkout_session_id)
    barrier = threading.Barrier(2)
    answers, failures = {}, []

    def cancel():
        browser = Client(HTTP_HOST=HOST)
        browser.cookies = client.cookies
        barrier.wait(timeout=10)
        answers["cancel"] = browser.get("/shop/checkout/payment-cancelled/")

    def webhook():
        barrier.wait(timeout=10)
        answers["webhook"] = deliver(host_client(HOST), completed)

    def run(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in (cancel, webhook)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert answers["webhook"].status_code == 200
    outcome = answers["cancel"].context["outcome"]
    assert outcome in ("paid", "cancelled")
    with tenant_context(committed_shop["tenant"]):
        order.refresh_from_db()
        assert order.status == "Being processed"
        assert order.sources.count() == 1
        assert StockRecord.objects.get(product=committed_shop["lamp"]).num_allocated == 2
