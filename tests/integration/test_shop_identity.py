"""One customer across shop, portal and CRM: every placed order is linked to its contact (by the
shopper's login, or by a guest's e-mail, ignoring case, also the contact's other e-mails); a
guest order with an account holder's e-mail waits for that person to claim it through a signed,
expiring link; several contacts with the e-mail leave a task for staff; the contact's timeline
and the customer's portal show the linked orders, status changes reach the right customer, and
another tenant's contacts are never touched."""

import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.db import connection
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact
from crm_apps.purchases import claims
from crm_apps.purchases.models import OrderContact, PendingOrderLink
from realtime.models import Notification
from store.checkout import stripe_orders
from tests.fixtures.world import host_client, signed_in
from tests.integration.test_store_checkout import (
    ACME_SECRET,
    ADDRESS,
    GLOBEX_SECRET,
    configure_stripe,
    deliver,
    make_product,
    place_order,
    shopper,
)

Order = get_model("order", "Order")
HOST = "acme.localhost"
GLOBEX_HOST = "globex.localhost"
GUEST_ADDRESS = {**ADDRESS, "first_name": "Mei", "last_name": "Lin"}


@pytest.fixture
def shop(in_acme):
    """acme with Stripe keys, a lamp in stock and two portal customers with their contacts:
    A (customer@acme.example, account Initech) and B (other@acme.example, account Umbrella)."""
    configure_stripe(ACME_SECRET)
    users = get_user_model().objects
    contact_a = Contact.objects.create(
        first_name="Anna", last_name="A", account=Account.objects.create(name="Initech"),
        email="customer@acme.example", portal_user=users.get(email="customer@acme.example"))
    contact_b = Contact.objects.create(
        first_name="Bert", last_name="B", account=Account.objects.create(name="Umbrella"),
        email="other@acme.example", portal_user=users.get(email="other@acme.example"))
    return {"lamp": make_product(), "a": contact_a, "b": contact_b}


def guest_order(product, email: str, *, host: str = HOST, address=None, quantity=1):
    """Check out as a guest with ``email`` through Oscar's gateway page; returns the client
    and the order placed (pending payment, on its way to Stripe)."""
    client = host_client(host)
    assert client.post(f"/shop/basket/add/{product.pk}/",
                       {"quantity": quantity}).status_code == 302
    gateway = client.get("/shop/checkout/")
    assert gateway.status_code == 200  # the guest's e-mail step, no sign-in required
    response = client.post("/shop/checkout/", {"username": email, "options": "anonymous"})
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == "/shop/checkout/shipping-address/"
    response = client.post("/shop/checkout/shipping-address/", address or GUEST_ADDRESS)
    assert response.status_code == 302, response.content[:2000]
    response = client.get("/shop/checkout/shipping-method/", follow=True)
    assert response.redirect_chain[-1][0] == "/shop/checkout/payment-details/"
    assert client.get("/shop/checkout/preview/").status_code == 200
    placed = client.post("/shop/checkout/preview/", {"action": "place_order"})
    assert placed.status_code == 302, placed.content[:2000]
    return client, Order.objects.order_by("-pk").first()


def portal(email: str, host: str = HOST):
    return host_client(host, email=email, login_path="/portal/login/")


def claim_link_from(message) -> str:
    [line] = [line for line in message.body.splitlines() if "/shop/checkout/claim/" in line]
    return urlsplit(line.strip()).path


def portal_numbers(client) -> str:
    return client.get("/portal/orders/").content.decode()


# --- Signed-in shoppers ----------------------------------------------------------------------

def test_a_signed_in_shoppers_order_is_their_contacts(shop, fake_stripe):
    client = shopper()
    assert place_order(client, shop["lamp"]).status_code == 302
    order = Order.objects.get()
    link = OrderContact.objects.get(order=order)
    assert (link.contact, link.how) == (shop["a"], OrderContact.How.LOGIN)
    assert order.number in portal_numbers(client)
    assert order.number not in portal_numbers(portal("other@acme.example"))


# --- Guests ----------------------------------------------------------------------------------

def test_a_guest_order_joins_the_contact_without_a_login_ignoring_case(shop, fake_stripe):
    lee = Contact.objects.create(first_name="Lee", last_name="Wong", email="Lee.Wong@Example.com",
                                 email_consent=False, lifecycle_stage=Contact.Stage.LEAD)
    client, order = guest_order(shop["lamp"], "lee.wong@EXAMPLE.com")
    assert order.user is None
    thanks = client.get("/shop/checkout/thank-you/")
    assert thanks.status_code == 200
    assert b'data-order-status="Pending payment"' in thanks.content
    assert order.status == stripe_orders.PENDING_PAYMENT
    link = OrderContact.objects.get(order=order)
    assert (link.contact, link.how) == (lee, OrderContact.How.GUEST_MATCHED)
    lee.refresh_from_db()
    # The record is only linked: consent, stage and names stay as they were.
    assert (lee.email_consent, lee.lifecycle_stage, lee.first_name, lee.email) == (
        False, Contact.Stage.LEAD, "Lee", "Lee.Wong@Example.com")
    assert Contact.objects.count() == 3
    assert not PendingOrderLink.objects.exists()
    # The guest's payment is applied like anyone's.
    payment = stripe_orders.payment_for(order)
    completed, __ = fake_stripe.pay(payment.checkout_session_id)
    assert deliver(host_client(HOST), completed).status_code == 200
    order.refresh_from_db()
    assert order.status == "Being processed"


def test_a_guest_order_matches_another_email_of_a_contact(shop, fake_stripe):
    old = Contact.objects.create(first_name="Old", email="new@example.org",
                                 other_emails=["Sam.Old@Example.org", "x@example.org"])
    # Another contact whose other e-mail only contains the address is not a match.
    Contact.objects.create(first_name="Joann", other_emails=["jo.sam.old@example.org"])
    __, order = guest_order(shop["lamp"], "sam.old@example.org")
    link = OrderContact.objects.get(order=order)
    assert (link.contact, link.how) == (old, OrderContact.How.GUEST_MATCHED)


def test_a_new_guest_becomes_a_customer_contact(shop, fake_stripe):
    __, order = guest_order(shop["lamp"], "mei.lin@example.net")
    link = OrderContact.objects.get(order=order)
    assert link.how == OrderContact.How.GUEST_CREATED
    contact = link.contact
    assert (contact.first_name, contact.last_name, contact.email, contact.lifecycle_stage,
            contact.portal_user, contact.email_consent) == (
        "Mei", "Lin", "mei.lin@example.net", Contact.Stage.CUSTOMER, None, False)
    # A second order with the same e-mail joins that contact rather than making another.
    __, again = guest_order(shop["lamp"], "Mei.Lin@example.net")
    second = OrderContact.objects.get(order=again)
    assert (second.contact, second.how) == (contact, OrderContact.How.GUEST_MATCHED)
    assert Contact.objects.filter(email__iexact="mei.lin@example.net").count() == 1


def test_several_contacts_with_the_email_get_no_order_and_staff_a_task(shop, fake_stripe):
    rep = get_user_model().objects.get(email="rep@acme.example")
    twins = [Contact.objects.create(first_name="Twin", last_name=str(n), owner=rep,
                                    email="twins@example.com") for n in (1, 2)]
    Contact.objects.create(first_name="Third", other_emails=["TWINS@example.com"])
    __, order = guest_order(shop["lamp"], "twins@example.com")
    assert not OrderContact.objects.filter(order=order).exists()
    pending = PendingOrderLink.objects.get(order=order)
    assert (pending.reason, pending.contact) == (PendingOrderLink.Reason.SEVERAL_CONTACTS, None)
    tasks = Activity.objects.filter(kind=Activity.Kind.TASK, subject__contains=order.number)
    assert tasks.count() == 3
    assert {task.contact.first_name for task in tasks} == {"Twin", "Third"}
    assert all(task.done_at is None for task in tasks)
    assert tasks.get(contact=twins[0]).assignee == rep
    # Staff see the task on the contact's page.
    page = signed_in(HOST, "rep@acme.example").get(f"/app/customers/contacts/{twins[0].pk}/")
    assert page.status_code == 200
    assert f"Guest order {order.number}" in page.content.decode()
    assert mail.outbox == []  # nobody was asked to claim it


# --- A guest order with an account holder's e-mail -------------------------------------------

@pytest.fixture
def waiting(shop, fake_stripe, django_capture_on_commit_callbacks):
    """A guest order placed with A's login e-mail (in other case): waiting for A's claim."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        __, order = guest_order(shop["lamp"], "Customer@acme.example")
    [message] = mail.outbox
    return {**shop, "order": order, "message": message, "link": claim_link_from(message)}


def test_an_account_holders_email_never_merges_silently(waiting):
    order, message = waiting["order"], waiting["message"]
    assert order.user is None
    assert not OrderContact.objects.filter(order=order).exists()
    pending = PendingOrderLink.objects.get(order=order)
    assert (pending.reason, pending.contact) == (PendingOrderLink.Reason.AWAITING_CLAIM,
                                                 waiting["a"])
    assert message.to == ["customer@acme.example"]
    assert message.subject == f"Is this your order {order.number}?"
    assert "Customer@acme.example" in message.body
    assert waiting["link"].startswith("/shop/checkout/claim/")
    # Not in A's portal (list or page), nor on the contact's timeline, before the claim.
    client_a = portal("customer@acme.example")
    assert order.number not in portal_numbers(client_a)
    assert client_a.get(f"/portal/orders/{order.number}/").status_code == 404
    staff = signed_in(HOST, "admin@acme.example")
    contact_page = staff.get(f"/app/customers/contacts/{waiting['a'].pk}/").content.decode()
    assert f"Order {order.number}" not in contact_page


def test_the_account_holder_claims_it_and_then_sees_it(waiting):
    order, link = waiting["order"], waiting["link"]
    client_a = portal("customer@acme.example")
    page = client_a.get(link)
    assert page.status_code == 200
    assert order.number in page.content.decode()
    assert not OrderContact.objects.filter(order=order).exists()  # looking changes nothing
    response = client_a.post(link)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/orders/{order.number}/"
    claimed = OrderContact.objects.get(order=order)
    assert (claimed.contact, claimed.how) == (waiting["a"], OrderContact.How.CLAIMED)
    assert not PendingOrderLink.objects.filter(order=order).exists()
    assert order.number in portal_numbers(client_a)
    assert client_a.get(f"/portal/orders/{order.number}/").status_code == 200
    # B never sees it; a second click just opens the order.
    client_b = portal("other@acme.example")
    assert order.number not in portal_numbers(client_b)
    assert client_b.get(f"/portal/orders/{order.number}/").status_code == 404
    again = client_a.post(link)
    assert again["Location"] == f"/portal/orders/{order.number}/"
    assert OrderContact.objects.filter(order=order).count() == 1


def test_a_claim_link_needs_the_right_signed_in_account(waiting):
    order, link = waiting["order"], waiting["link"]
    anonymous = host_client(HOST)
    response = anonymous.get(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=/shop/checkout/claim/")
    assert anonymous.post(link).status_code == 302
    client_b = portal("other@acme.example")
    refused = client_b.get(link)
    assert refused.status_code == 403
    assert order.number not in refused.content.decode()
    assert client_b.post(link).status_code == 403
    staff = signed_in(HOST, "admin@acme.example")
    assert staff.post(link).status_code == 403
    assert not OrderContact.objects.filter(order=order).exists()
    assert PendingOrderLink.objects.filter(order=order).exists()


def test_tampered_junk_and_expired_claim_links_are_refused(waiting, monkeypatch):
    order, link = waiting["order"], waiting["link"]
    client_a = portal("customer@acme.example")
    token = link.removeprefix("/shop/checkout/claim/").rstrip("/")
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "junk", "x" * 600, "%E4%BD%A0%E5%A5%BD", token + "0"):
        response = client_a.post(f"/shop/checkout/claim/{bad}/")
        assert response.status_code == 400, bad
        assert client_a.get(f"/shop/checkout/claim/{bad}/").status_code == 400
    # Another order's id signed by someone else's key is just as invalid.
    forged = signing.dumps({"s": connection.schema_name, "o": order.pk,
                            "c": waiting["a"].pk, "u": waiting["a"].portal_user_id},
                           key="not-our-secret", salt=claims.CLAIM_SALT)
    assert client_a.post(f"/shop/checkout/claim/{forged}/").status_code == 400
    # A link signed 15 days ago has expired.
    fifteen_days_ago = int(time.time()) - 15 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp",
                      lambda self: signing.b62_encode(fifteen_days_ago))
        old = claims.claim_token(PendingOrderLink.objects.get(order=order))
    expired = client_a.post(f"/shop/checkout/claim/{old}/")
    assert expired.status_code == 410
    assert b"expired" in expired.content
    assert not OrderContact.objects.filter(order=order).exists()
    assert order.number not in portal_numbers(client_a)


def test_a_company_admin_sees_claimed_orders_of_the_account_not_waiting_ones(shop):
    from crm_apps.purchases.linking import link_order
    from tests.integration.test_portal_tickets import make_order

    admin = shop["b"]  # B administers Umbrella; A moves there as a colleague
    admin.portal_admin = True
    admin.save(update_fields=["portal_admin"])
    shop["a"].account = admin.account
    shop["a"].save(update_fields=["account"])
    waiting_order = make_order("GUEST-WAIT-1", None)
    claimed_order = make_order("GUEST-MINE-1", None)
    for order in (waiting_order, claimed_order):
        order.guest_email = "customer@ACME.example"
        order.save(update_fields=["guest_email"])
        link_order(order)
    claims.claim_order(PendingOrderLink.objects.get(order=claimed_order))
    admin_page = portal_numbers(portal("other@acme.example"))
    assert "GUEST-MINE-1" in admin_page
    assert "GUEST-WAIT-1" not in admin_page


# --- Timeline --------------------------------------------------------------------------------

def test_the_contact_timeline_shows_login_and_guest_orders(shop, fake_stripe):
    client = shopper()
    place_order(client, shop["lamp"])
    login_order = Order.objects.get()
    OrderContact.objects.all().delete()  # an order from before links existed: by login alone
    lee = Contact.objects.create(first_name="Lee", email="lee@example.com",
                                 account=shop["a"].account)
    __, guest = guest_order(shop["lamp"], "LEE@example.com", quantity=3)
    staff = signed_in(HOST, "admin@acme.example")
    a_page = staff.get(f"/app/customers/contacts/{shop['a'].pk}/").content.decode()
    assert f"Order {login_order.number}" in a_page
    assert f"/shop/dashboard/orders/{login_order.number}/" in a_page
    assert "$100.00, Pending payment" in a_page
    lee_page = staff.get(f"/app/customers/contacts/{lee.pk}/").content.decode()
    assert f"Order {guest.number}" in lee_page
    assert "$150.00, Pending payment" in lee_page
    assert f"Order {login_order.number}" not in lee_page
    # The account's timeline holds both of its contacts' orders; B's shows neither.
    account_page = staff.get(
        f"/app/customers/accounts/{shop['a'].account_id}/").content.decode()
    assert f"Order {guest.number}" in account_page
    assert f"Order {login_order.number}" in account_page
    b_page = staff.get(f"/app/customers/contacts/{shop['b'].pk}/").content.decode()
    assert "Order " + guest.number not in b_page
    # The guest order is not in A's portal even though it is on A's account's timeline.
    assert guest.number not in portal_numbers(client)


# --- Status changes --------------------------------------------------------------------------

def test_status_changes_of_a_claimed_order_reach_only_its_owner(waiting):
    order = waiting["order"]
    order.set_status("Payment failed")
    # Before the claim, nobody's portal sees it, so nobody is told.
    assert not Notification.objects.filter(kind="order.status").exists()
    client_a = portal("customer@acme.example")
    assert client_a.post(waiting["link"]).status_code == 302
    order.refresh_from_db()
    order.set_status("Cancelled")
    told = Notification.objects.filter(kind="order.status")
    assert [(n.recipient.email, n.link) for n in told] == [
        ("customer@acme.example", f"/portal/orders/{order.number}/")]


def test_status_changes_of_a_signed_in_shoppers_order_reach_them(shop, fake_stripe):
    place_order(shopper(), shop["lamp"])
    order = Order.objects.get()
    order.set_status("Payment failed")
    told = Notification.objects.filter(kind="order.status")
    assert [n.recipient.email for n in told] == ["customer@acme.example"]


# --- Tenants ---------------------------------------------------------------------------------

def test_a_globex_guest_order_never_links_to_an_acme_contact(shop, globex, fake_stripe):
    acme_contact = Contact.objects.create(first_name="Shared", email="shared@example.com")
    with tenant_context(globex.tenant):
        configure_stripe(GLOBEX_SECRET)
        lamp = make_product(title="Globex lamp")
        __, order = guest_order(lamp, "shared@example.com", host=GLOBEX_HOST)
        link = OrderContact.objects.get(order=order)
        assert link.how == OrderContact.How.GUEST_CREATED
        assert link.contact.email == "shared@example.com"
        globex_order_pk = order.pk
    assert not OrderContact.objects.filter(contact=acme_contact).exists()
    assert not OrderContact.objects.filter(order_id=globex_order_pk).exists()
    acme_contact.refresh_from_db()
    assert acme_contact.first_name == "Shared"
    # An acme claim link means nothing on globex's host.
    mail.outbox.clear()
    __, acme_order = guest_order(shop["lamp"], "customer@acme.example")
    a_token_link = claims.claim_path(claims.claim_token(
        PendingOrderLink.objects.get(order=acme_order)))
    with tenant_context(globex.tenant):
        globex_customer = portal("customer@globex.example", host=GLOBEX_HOST)
        assert globex_customer.post(a_token_link).status_code in (400, 403)
        assert not OrderContact.objects.filter(how=OrderContact.How.CLAIMED).exists()
    assert PendingOrderLink.objects.filter(order=acme_order).exists()


# --- Bad input -------------------------------------------------------------------------------

def test_junk_at_the_guest_step_is_a_form_error(shop):
    client = host_client(HOST)
    client.post(f"/shop/basket/add/{shop['lamp'].pk}/", {"quantity": 1})
    for junk in ({"username": "not-an-email", "options": "anonymous"},
                 {"username": "a@b.c", "options": "nonsense"}, {}, {"username": "x" * 5000}):
        response = client.post("/shop/checkout/", junk)
        assert response.status_code == 200, junk
    assert client.get("/shop/checkout/shipping-address/").status_code == 302
    assert not Order.objects.exists()


def test_a_guest_order_totals_stay_decimal(shop, fake_stripe):
    __, order = guest_order(shop["lamp"], "decimal@example.com", quantity=2)
    assert order.total_incl_tax == Decimal("100.00")
    assert stripe_orders.payment_for(order).amount == Decimal("100.00")


# --- Live over the real websocket ------------------------------------------------------------

@pytest.fixture
def committed_claimed_order(committed):
    """In acme, committed for the server process: A's contact and a guest order placed with
    A's e-mail, claimed by A; removed afterwards."""
    from crm_apps.purchases.linking import link_order
    from tenants.models import Tenant
    from tests.integration.test_portal_tickets import make_order

    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        user = get_user_model().objects.get(email="customer@acme.example")
        account = Account.objects.create(name="Live claim account")
        contact = Contact.objects.create(first_name="Live", last_name="Claimer",
                                         account=account, email=user.email, portal_user=user)
        order = make_order("GUEST-LIVE-1", None)
        order.guest_email = "CUSTOMER@acme.example"
        order.save(update_fields=["guest_email"])
        pending = link_order(order)
        assert isinstance(pending, PendingOrderLink)
        claims.claim_order(pending)
    yield tenant, order
    with tenant_context(tenant):
        Notification.objects.filter(kind="order.status").delete()
        order.delete()
        contact.delete()
        account.delete()


def test_a_claimed_guest_orders_status_reaches_its_owner_over_the_websocket(
        live_asgi, committed_claimed_order):
    import asyncio
    import contextlib

    from tests.fixtures.sockets import login_cookie, next_message, open_socket

    tenant, order = committed_claimed_order
    customer = login_cookie(live_asgi, HOST, "customer@acme.example", "/portal/login/")
    other = login_cookie(live_asgi, HOST, "other@acme.example", "/portal/login/")

    def ship():
        try:
            with tenant_context(tenant):
                order.set_status("Being processed")
        finally:
            connection.close()  # this thread's own connection

    async def scenario():
        async with open_socket(live_asgi, HOST, session=customer) as mine, \
                open_socket(live_asgi, HOST, session=other) as theirs:
            for socket in (mine, theirs):
                assert (await next_message(socket))["type"] == "hello"
            await asyncio.to_thread(ship)
            pushed = await next_message(mine)
            leaks = []
            with contextlib.suppress(TimeoutError):
                leaks.append(await next_message(theirs, timeout=1.0))
            return pushed, leaks

    pushed, leaks = asyncio.run(scenario())
    assert pushed["type"] == "notification"
    assert pushed["notification"]["kind"] == "order.status"
    assert pushed["notification"]["link"] == "/portal/orders/GUEST-LIVE-1/"
    assert leaks == []
