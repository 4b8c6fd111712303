"""The customer's order pages: scoped by portal.policy (another customer, a company admin,
staff, another tenant), lines, totals, status history, shipping events, the quote it came
from, and status changes told live over the real websocket and by e-mail."""

import asyncio
import contextlib
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from crm_apps.customers.models import Account, Contact
from crm_apps.quotes.models import Quote
from portal.models import PortalPreferences
from realtime.models import Notification
from tests.fixtures.sockets import login_cookie, next_message, open_socket
from tests.fixtures.world import host_client, signed_in
from tests.integration.test_portal_tickets import build_customers, make_order, portal_client

Line = get_model("order", "Line")
ShippingEvent = get_model("order", "ShippingEvent")
ShippingEventType = get_model("order", "ShippingEventType")
ShippingEventQuantity = get_model("order", "ShippingEventQuantity")
HOST = "acme.localhost"
A_SECRETS = [b"ORDER-ALPHA-1", b"Alpha widget", b"ALPHA-TRACKING"]


def add_details(order) -> None:
    line = Line.objects.create(order=order, partner_name="Acme stock", partner_sku="AW-1",
                               title="Alpha widget", quantity=2, num_allocated=2,
                               line_price_incl_tax=Decimal("120.00"),
                               line_price_excl_tax=Decimal("106.19"),
                               line_price_before_discounts_incl_tax=Decimal("120.00"),
                               line_price_before_discounts_excl_tax=Decimal("106.19"))
    order.set_status("Being processed")
    kind = ShippingEventType.objects.create(name="Dispatched", code="dispatched")
    event = ShippingEvent.objects.create(order=order, event_type=kind,
                                         notes="ALPHA-TRACKING SF123")
    ShippingEventQuantity.objects.create(event=event, line=line, quantity=2)


@pytest.fixture
def world(in_acme):
    rows = build_customers()
    add_details(rows["order_a"])
    return rows


def test_the_customer_sees_lines_totals_history_and_shipping(world):
    client = portal_client("customer@acme.example")
    listing = client.get("/portal/orders/")
    assert listing.status_code == 200
    assert b"ORDER-ALPHA-1" in listing.content
    assert b"ORDER-BRAVO-1" not in listing.content
    page = client.get("/portal/orders/ORDER-ALPHA-1/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alpha widget" in text
    assert "120.00" in text
    assert "Pending → <strong>Being processed</strong>" in text
    assert "Dispatched" in text
    assert "ALPHA-TRACKING SF123" in text
    assert "Alpha widget × 2" in text
    assert 'data-order-status="Being processed"' in text
    live = client.get("/portal/orders/ORDER-ALPHA-1/?part=live")
    assert 'data-live-slot="history"' in live.content.decode()
    assert client.get("/portal/orders/?page=x").status_code == 400
    assert client.get("/portal/orders/?page=0").status_code == 400
    # Oscar stores the English status code; a Chinese reader reads it in Chinese.
    chinese = client.get("/portal/orders/ORDER-ALPHA-1/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "待处理 → <strong>处理中</strong>" in chinese.content.decode()
    assert 'data-order-status="Being processed"' in chinese.content.decode()


ORDER_URLS = ["/portal/orders/ORDER-ALPHA-1/", "/portal/orders/ORDER-ALPHA-1/?part=live"]


def test_another_customer_gets_404_and_none_of_the_order(world):
    client = portal_client("other@acme.example")
    for path in ORDER_URLS:
        response = client.get(path)
        assert response.status_code == 404, path
        assert [s for s in A_SECRETS if s in response.content] == []
    listing = client.get("/portal/orders/")
    assert b"ORDER-BRAVO-1" in listing.content
    assert [s for s in A_SECRETS if s in listing.content] == []
    form = client.get("/portal/tickets/new/")
    assert b"ORDER-ALPHA-1" not in form.content


def test_a_company_admin_sees_the_accounts_orders_and_quote_orders_only(world):
    quote_order = make_order("ORDER-QUOTED-1", None)
    Quote.objects.create(title="Fit-out", account=world["initech"], contact=world["boss"],
                         status="accepted", currency="CNY", order=quote_order,
                         sent_at=timezone.now())
    boss = portal_client("boss@acme.example")
    listing = boss.get("/portal/orders/")
    assert b"ORDER-ALPHA-1" in listing.content
    assert b"ORDER-QUOTED-1" in listing.content
    assert b"ORDER-BRAVO-1" not in listing.content
    quoted = boss.get("/portal/orders/ORDER-QUOTED-1/")
    assert quoted.status_code == 200
    assert b'id="order-quote"' in quoted.content
    assert boss.get("/portal/orders/ORDER-ALPHA-1/").status_code == 200
    assert boss.get("/portal/orders/ORDER-BRAVO-1/").status_code == 404
    # A plain customer does not see the account's quote orders nor a colleague's.
    assert portal_client("customer@acme.example").get(
        "/portal/orders/ORDER-QUOTED-1/").status_code == 404


def test_staff_get_403_strangers_sign_in_and_other_tenants_get_404(world, globex):
    staff = signed_in(HOST, "rep@acme.example")
    anonymous = host_client(HOST)
    for path in ["/portal/orders/", *ORDER_URLS]:
        assert staff.get(path).status_code == 403, path
        assert anonymous.get(path)["Location"].startswith("/portal/login/")
    with tenant_context(globex.tenant):
        user = get_user_model().objects.get(email="customer@globex.example")
        account = Account.objects.create(name="Globex buyer")
        Contact.objects.create(first_name="G", last_name="Buyer", account=account,
                               email=user.email, portal_user=user, portal_admin=True)
    outsider = portal_client("customer@globex.example", host=globex.host)
    for path in ORDER_URLS:
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert [s for s in A_SECRETS if s in response.content] == []


def test_a_status_change_notifies_the_customers_and_emails_those_who_want_it(world):
    order = world["order_a"]
    PortalPreferences.objects.create(contact=world["boss"], email_on_order=False)
    Notification.objects.filter(kind="order.status").delete()  # the fixture's own change
    mail.outbox.clear()
    with pytest.MonkeyPatch.context() as patch:
        # notify() queues e-mail on commit; run it now, inside the test's transaction.
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        order.set_status("Shipped")
    told = Notification.objects.filter(kind="order.status").order_by("recipient__email")
    assert [(n.recipient.email, n.link) for n in told] == [
        ("boss@acme.example", "/portal/orders/ORDER-ALPHA-1/"),
        ("customer@acme.example", "/portal/orders/ORDER-ALPHA-1/")]
    assert "Shipped" in told[0].title
    assert [message.to for message in mail.outbox] == [["customer@acme.example"]]
    assert "ORDER-ALPHA-1" in mail.outbox[0].subject
    assert not Notification.objects.filter(kind="order.status",
                                           recipient__email="other@acme.example").exists()


@pytest.fixture
def committed_order(committed):
    """A contact and an order of customer@acme committed for the server process; removed
    afterwards."""
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        user = get_user_model().objects.get(email="customer@acme.example")
        account = Account.objects.create(name="Live account")
        contact = Contact.objects.create(first_name="Live", last_name="Customer",
                                         account=account, email=user.email, portal_user=user)
        order = make_order("ORDER-LIVE-1", user)
    yield tenant, order
    with tenant_context(tenant):
        Notification.objects.filter(kind="order.status").delete()
        order.delete()
        contact.delete()
        account.delete()


def test_a_status_change_reaches_the_order_page_over_the_websocket(live_asgi, committed_order):
    tenant, order = committed_order
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
    assert pushed["notification"]["link"] == "/portal/orders/ORDER-LIVE-1/"
    assert "Being processed" in pushed["notification"]["title"]
    assert leaks == []
    with live_asgi.client(HOST) as client:
        client.cookies["sessionid"] = customer
        page = client.get("/portal/orders/ORDER-LIVE-1/?part=live")
    assert page.status_code == 200
    assert 'data-order-status="Being processed"' in page.text
