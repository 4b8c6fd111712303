"""Bill pay in the portal: every invoice URL scoped by portal.policy (another customer, a
company admin, staff, another tenant), paying one or several open invoices through the local
fake Stripe, refusals (another customer's, paid, void, mixed currencies, no Stripe), and the
return page that shows "paid" only once a signed webhook has been applied."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from crm_apps.billing import services
from crm_apps.billing.models import Invoice, Payment
from crm_apps.customers.models import Account, Contact
from crm_apps.payments.models import StripeAccountSettings, StripePayment
from realtime.models import Notification
from tests.fixtures.fake_stripe import fake_stripe, signed_webhook, use_own_keys  # noqa: F401
from tests.fixtures.world import host_client, signed_in
from tests.integration.test_portal_tickets import build_customers, portal_client

HOST = "acme.localhost"
A_SECRETS = [b"ALPHA consulting", b"ALPHA-NOTE"]
Status = Invoice.Status


def issued(account, contact, *, description, price="100.00", currency="CNY", notes=""):
    invoice = services.create_manual(
        account=account, contact=contact, currency=currency, notes=notes,
        lines=[{"description": description, "quantity": Decimal("2"),
                "unit_price": Decimal(price), "tax_rate": Decimal("13")}])
    return services.issue(invoice)


@pytest.fixture
def books(in_acme):
    """build_customers' people (A and company admin boss on Initech, B on Umbrella) with
    invoices: A's open CNY invoice, A's second open CNY one, A's open USD one, a paid and a
    void one of A's, the boss's own invoice on Initech, and B's open invoice."""
    rows = build_customers()
    a, boss, b = rows["contact_a"], rows["boss"], rows["contact_b"]
    rows["a1"] = issued(rows["initech"], a, description="ALPHA consulting",
                        notes="ALPHA-NOTE private")
    rows["a2"] = issued(rows["initech"], a, description="Alpha support", price="50.00")
    rows["a_usd"] = issued(rows["initech"], a, description="Alpha licence", currency="USD")
    rows["a_paid"] = issued(rows["initech"], a, description="Alpha paid", price="10.00")
    services.record_payment(rows["a_paid"], rows["a_paid"].total, Payment.Method.CASH)
    rows["a_void"] = services.void(issued(rows["initech"], a, description="Alpha void"))
    rows["boss_own"] = issued(rows["initech"], boss, description="Boss retainer")
    rows["b1"] = issued(rows["umbrella"], b, description="BRAVO umbrellas")
    rows["draft_a"] = services.create_manual(
        account=rows["initech"], contact=a,
        lines=[{"description": "DRAFT-ONLY work", "quantity": 1, "unit_price": "5.00"}])
    return rows


@pytest.fixture
def stripe_ready(books, fake_stripe):  # noqa: F811
    """acme takes payments with its own keys, against the fake."""
    return {"keys": use_own_keys("acme"), "fake": fake_stripe}


def invoice_urls(invoice) -> list[tuple[str, str, dict]]:
    base = f"/portal/invoices/{invoice.pk}/"
    return [("get", base, {}), ("get", base + "pdf/", {}),
            ("post", "/portal/invoices/pay/", {"invoice": [invoice.pk]})]


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def deliver(event: dict, secret: str, host: str = HOST):
    """POST a signed event to the tenant's webhook, keeping the test's schema."""
    body, header = signed_webhook(event, secret)
    before = connection.tenant
    try:
        return Client(HTTP_HOST=host).post("/webhooks/stripe/", body,
                                           content_type="application/json",
                                           HTTP_STRIPE_SIGNATURE=header)
    finally:
        connection.set_tenant(before)


def test_the_customer_sees_their_open_and_paid_invoices_with_amount_due_and_status(books):
    client = portal_client("customer@acme.example")
    listing = client.get("/portal/invoices/")
    assert listing.status_code == 200
    text = listing.content.decode()
    for key in ("a1", "a2", "a_usd", "a_paid", "a_void"):
        assert books[key].number in text, key
    assert books["b1"].number not in text
    assert books["boss_own"].number not in text  # a colleague's, seen by the admin only
    assert "DRAFT-ONLY" not in text
    assert f'id="invoice-status-{books["a_paid"].pk}" data-invoice-status="paid"' in text
    assert f'id="invoice-status-{books["a1"].pk}" data-invoice-status="open"' in text
    assert "226.00" in text  # 2 × 100.00 + 13% tax, due in full
    # Only open invoices can be ticked for payment (here Stripe is not set up: no boxes).
    assert 'name="invoice"' not in text
    detail = client.get(f"/portal/invoices/{books['a1'].pk}/")
    assert detail.status_code == 200
    assert b"ALPHA consulting" in detail.content
    assert b"ALPHA-NOTE private" in detail.content
    paid = client.get(f"/portal/invoices/{books['a_paid'].pk}/").content.decode()
    assert 'id="invoice-payments"' in paid
    assert "Cash" in paid
    pdf = client.get(f"/portal/invoices/{books['a1'].pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert body_of(pdf).startswith(b"%PDF")
    assert books["a1"].number in pdf["Content-Disposition"]
    assert client.get(f"/portal/invoices/{books['draft_a'].pk}/").status_code == 404
    assert client.get("/portal/invoices/?page=x").status_code == 400
    chinese = client.get("/portal/invoices/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200


def test_customer_b_gets_404_for_every_url_of_as_invoices_and_nothing_is_created(
        books, stripe_ready):
    client = portal_client("other@acme.example")
    for key in ("a1", "a_paid", "a_void", "boss_own"):
        for method, path, data in invoice_urls(books[key]):
            response = getattr(client, method)(path, data)
            assert response.status_code == 404, (key, method, path)
            leaks = [s for s in A_SECRETS + [books[key].number.encode()]
                     if s in body_of(response)]
            assert leaks == [], (key, path)
    # One of A's ids among B's own: still a 404, and no payment for B's either.
    response = client.post("/portal/invoices/pay/",
                           {"invoice": [books["b1"].pk, books["a1"].pk]})
    assert response.status_code == 404
    assert not StripePayment.objects.exists()
    assert stripe_ready["fake"].requests == []
    listing = client.get("/portal/invoices/")
    assert books["b1"].number.encode() in listing.content
    assert [s for s in A_SECRETS if s in listing.content] == []
    assert books["a1"].number.encode() not in listing.content
    # A's own payment page, and its live part, are A's alone.
    assert portal_client("customer@acme.example").post(
        "/portal/invoices/pay/", {"invoice": [books["a1"].pk]}).status_code == 303
    payment = StripePayment.objects.get()
    for path in (f"/portal/invoices/paid/{payment.pk}/",
                 f"/portal/invoices/paid/{payment.pk}/?part=live"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert books["a1"].number.encode() not in response.content


def test_a_company_admin_sees_and_pays_the_accounts_invoices(books, stripe_ready,
                                                             django_capture_on_commit_callbacks):
    boss = portal_client("boss@acme.example")
    text = boss.get("/portal/invoices/").content.decode()
    for key in ("a1", "a2", "boss_own", "a_paid"):
        assert books[key].number in text, key
    assert books["b1"].number not in text
    assert "Wei Zhang" in text  # whose invoice it is, for the admin
    assert boss.get(f"/portal/invoices/{books['a1'].pk}/").status_code == 200
    assert boss.get(f"/portal/invoices/{books['b1'].pk}/").status_code == 404
    response = boss.post("/portal/invoices/pay/",
                         {"invoice": [books["a1"].pk, books["boss_own"].pk]})
    assert response.status_code == 303
    payment = StripePayment.objects.get()
    assert payment.customer_user.email == "boss@acme.example"
    assert payment.reference == {"invoice_ids": sorted([books["a1"].pk,
                                                        books["boss_own"].pk])}
    assert payment.amount == Decimal("452.00")
    # The plain customer cannot open the admin's payment page.
    other = portal_client("customer@acme.example")
    assert other.get(f"/portal/invoices/paid/{payment.pk}/").status_code == 404

    # Paid: the admin who paid A's invoice is told and gets its receipt, as A does.
    mail.outbox.clear()
    fake, secret = stripe_ready["fake"], stripe_ready["keys"]["webhook_secret"]
    with django_capture_on_commit_callbacks(execute=True):
        for event in fake.pay(payment.checkout_session_id):
            assert deliver(event, secret).status_code == 200
    number = books["a1"].number
    receipt = next(message for message in mail.outbox if number in message.subject)
    assert sorted(receipt.to) == ["boss@acme.example", "customer@acme.example"]
    told = Notification.objects.filter(kind="invoice.receipt", title__contains=number)
    assert sorted(told.values_list("recipient__email", flat=True)) == [
        "boss@acme.example", "customer@acme.example"]


def test_paying_two_open_invoices_goes_to_stripe_once_however_often_pressed(stripe_ready,
                                                                              books):
    fake = stripe_ready["fake"]
    client = portal_client("customer@acme.example")
    listing = client.get("/portal/invoices/").content.decode()
    assert f'name="invoice" value="{books["a1"].pk}"' in listing
    assert f'value="{books["a_paid"].pk}"' not in listing
    assert 'id="pay-selected"' in listing
    chosen = {"invoice": [str(books["a2"].pk), str(books["a1"].pk)]}
    first = client.post("/portal/invoices/pay/", chosen)
    assert first.status_code == 303
    payment = StripePayment.objects.get()
    assert first["Location"] == f"{fake.url}/pay/{payment.checkout_session_id}"
    assert (payment.purpose, payment.currency, payment.amount, payment.status) == (
        "invoices", "CNY", Decimal("339.00"), StripePayment.Status.PENDING)
    assert payment.reference == {"invoice_ids": sorted([books["a1"].pk, books["a2"].pk])}
    assert payment.customer_user.email == "customer@acme.example"
    [request] = fake.requests_to("POST", "/v1/checkout/sessions")
    assert request.idempotency_key == f"{payment.pk}:checkout"
    assert sorted(int(line["price_data"]["unit_amount"])
                  for line in request.params["line_items"]) == [11300, 22600]
    assert request.params["success_url"] == (
        f"http://{HOST}/portal/invoices/paid/{payment.pk}/")
    assert request.params["cancel_url"] == f"http://{HOST}/portal/invoices/?canceled=1"
    # Pressed again (a double click, the back button): the same payment and checkout.
    again = client.post("/portal/invoices/pay/", chosen)
    assert again["Location"] == first["Location"]
    assert StripePayment.objects.count() == 1
    assert fake.created("/v1/checkout/sessions") == 1
    # Coming back without paying shows the list with a message; nothing changed.
    canceled = client.get("/portal/invoices/?canceled=1")
    assert b'id="payment-canceled"' in canceled.content
    books["a1"].refresh_from_db()
    assert books["a1"].status == Status.OPEN


def test_paid_void_draft_mixed_currency_and_bad_input_are_refused(stripe_ready, books):
    client = portal_client("customer@acme.example")
    for key, words in (("a_paid", "is paid"), ("a_void", "was voided")):
        response = client.post("/portal/invoices/pay/",
                               {"invoice": [books["a1"].pk, books[key].pk]})
        assert response.status_code == 409, key
        assert books[key].number in response.content.decode()
        assert words in response.content.decode()
    assert client.post("/portal/invoices/pay/",
                       {"invoice": [books["draft_a"].pk]}).status_code == 404
    mixed = client.post("/portal/invoices/pay/",
                        {"invoice": [books["a1"].pk, books["a_usd"].pk]})
    assert mixed.status_code == 400
    assert b"different currencies" in mixed.content
    for bad in ({}, {"invoice": ["x"]}, {"invoice": ["-1"]}, {"invoice": [""]},
                {"invoice": ["9" * 40]}, {"invoice": [str(n) for n in range(51)]}):
        assert client.post("/portal/invoices/pay/", bad).status_code == 400, bad
    assert client.post("/portal/invoices/pay/", {"invoice": ["999999"]}).status_code == 404
    assert client.get("/portal/invoices/pay/").status_code == 405
    assert client.get("/portal/invoices/paid/not-a-uuid/").status_code == 404
    assert client.get(
        "/portal/invoices/paid/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert not StripePayment.objects.exists()
    assert stripe_ready["fake"].requests == []
    # The one in USD alone is fine.
    assert client.post("/portal/invoices/pay/",
                       {"invoice": [books["a_usd"].pk]}).status_code == 303
    assert StripePayment.objects.get().currency == "USD"


def test_a_tenant_without_stripe_shows_a_message_instead_of_the_pay_button(books,
                                                                          fake_stripe):  # noqa: F811
    assert not StripeAccountSettings.objects.exists()
    client = portal_client("customer@acme.example")
    listing = client.get("/portal/invoices/")
    assert listing.status_code == 200
    assert b'id="payments-not-configured"' in listing.content
    assert b'id="pay-selected"' not in listing.content
    detail = client.get(f"/portal/invoices/{books['a1'].pk}/")
    assert b'id="payments-not-configured"' in detail.content
    assert b'id="pay-invoice"' not in detail.content
    refused = client.post("/portal/invoices/pay/", {"invoice": [books["a1"].pk]})
    assert refused.status_code == 409
    assert b"Online payment is not available yet" in refused.content
    assert not StripePayment.objects.exists()
    assert fake_stripe.requests == []


def test_stripe_unreachable_is_a_clear_message_and_a_retry_reuses_the_payment(stripe_ready,
                                                                              books):
    fake = stripe_ready["fake"]
    client = portal_client("customer@acme.example")
    fake.fail_next(3, status=500)  # the client retries twice, then gives up
    response = client.post("/portal/invoices/pay/", {"invoice": [books["a1"].pk]})
    assert response.status_code == 503
    assert b"could not be reached" in response.content
    retry = client.post("/portal/invoices/pay/", {"invoice": [books["a1"].pk]})
    assert retry.status_code == 303
    assert StripePayment.objects.count() == 1
    assert {r.idempotency_key for r in fake.requests} == {
        f"{StripePayment.objects.get().pk}:checkout"}


def test_the_return_page_says_not_yet_paid_until_the_signed_webhook_is_applied(stripe_ready,
                                                                               books):
    fake, secret = stripe_ready["fake"], stripe_ready["keys"]["webhook_secret"]
    client = portal_client("customer@acme.example")
    client.post("/portal/invoices/pay/", {"invoice": [books["a1"].pk, books["a2"].pk]})
    payment = StripePayment.objects.get()
    page_path = f"/portal/invoices/paid/{payment.pk}/"
    # The browser is back before Stripe's webhook: nothing is paid yet.
    before = client.get(page_path).content.decode()
    assert "Payment received, confirming" in before
    assert 'data-payment-state="confirming"' in before
    assert "Not yet paid" in before
    assert 'data-settled="false"' in before
    assert f'data-invoice-status="{Status.OPEN}"' in before
    books["a1"].refresh_from_db()
    assert books["a1"].status == Status.OPEN
    assert not Payment.objects.filter(stripe_payment=payment).exists()
    # A forged webhook changes nothing.
    completed, succeeded = fake.pay(payment.checkout_session_id)
    assert deliver(completed, "whsec_wrong").status_code == 400
    books["a1"].refresh_from_db()
    assert books["a1"].status == Status.OPEN
    # Stripe's signed events: now the invoices are paid, by this payment.
    assert deliver(completed, secret).status_code == 200
    assert deliver(succeeded, secret).status_code == 200
    for key in ("a1", "a2"):
        books[key].refresh_from_db()
        assert books[key].status == Status.PAID, key
        assert books[key].payments.get().stripe_payment_id == payment.pk
    live = client.get(page_path + "?part=live").content.decode()
    assert 'data-settled="true"' in live
    assert 'data-payment-state="confirmed"' in live
    assert "Paid with this payment" in live
    assert "Not yet paid" not in live
    assert "<html" not in live  # just the fragment
    told = Notification.objects.filter(kind="invoice.receipt",
                                       recipient__email="customer@acme.example")
    assert told.count() == 2
    assert told.first().link == "/portal/invoices/"
    listing = client.get("/portal/invoices/").content.decode()
    assert f'value="{books["a1"].pk}"' not in listing  # no longer offered for payment
    # Paying it again is refused.
    assert client.post("/portal/invoices/pay/",
                       {"invoice": [books["a1"].pk]}).status_code == 409


def test_another_tenant_sees_none_of_acmes_invoices_nor_its_payments(stripe_ready, books,
                                                                     acme, globex):
    client = portal_client("customer@acme.example")
    client.post("/portal/invoices/pay/", {"invoice": [books["a1"].pk]})
    payment = StripePayment.objects.get()
    with tenant_context(globex.tenant):
        user = get_user_model().objects.get(email="customer@globex.example")
        account = Account.objects.create(name="Globex buyer")
        Contact.objects.create(first_name="G", last_name="Buyer", account=account,
                               email=user.email, portal_user=user, portal_admin=True)
    outsider = portal_client("customer@globex.example", host=globex.host)
    for key in ("a1", "a2", "a_paid"):
        for method, path, data in invoice_urls(books[key]):
            response = getattr(outsider, method)(path, data)
            assert response.status_code == 404, (key, path)
            assert [s for s in A_SECRETS if s in body_of(response)] == [], path
    assert outsider.get(f"/portal/invoices/paid/{payment.pk}/").status_code == 404
    listing = outsider.get("/portal/invoices/")
    assert books["a1"].number.encode() not in listing.content
    # acme's customer signed in on globex's host is nobody there.
    elsewhere = client.get(f"/portal/invoices/{books['a1'].pk}/", HTTP_HOST=globex.host)
    assert elsewhere.status_code in (302, 403, 404)
    assert [s for s in A_SECRETS if s in body_of(elsewhere)] == []
    # acme's webhook event sent to globex's endpoint has no effect on acme's invoice.
    completed, __ = stripe_ready["fake"].pay(payment.checkout_session_id)
    with tenant_context(globex.tenant):
        globex_keys = use_own_keys("globex")
    assert deliver(completed, globex_keys["webhook_secret"], host=globex.host).status_code in (
        200, 400)
    with tenant_context(acme.tenant):  # the requests above left the connection on globex
        books["a1"].refresh_from_db()
        assert books["a1"].status == Status.OPEN
        assert not Payment.objects.filter(stripe_payment=payment).exists()


def test_staff_get_403_and_strangers_are_sent_to_sign_in(books):
    staff = signed_in(HOST, "rep@acme.example")
    anonymous = host_client(HOST)
    for path in ("/portal/invoices/", f"/portal/invoices/{books['a1'].pk}/",
                 f"/portal/invoices/{books['a1'].pk}/pdf/"):
        assert staff.get(path).status_code == 403, path
        assert anonymous.get(path)["Location"].startswith("/portal/login/")
    assert staff.post("/portal/invoices/pay/", {"invoice": [books["a1"].pk]}).status_code == 403
