"""Payments and refunds: partial then full payment, overpayment refused (400), refunds up to the
payment and "refunded" once all is given back, the money roles in the API, and the Stripe
appliers (each safe to call twice for the same Stripe payment)."""

from decimal import Decimal

import pytest
from django.core import mail

from crm_apps.billing import services, stripe_apply
from crm_apps.billing.errors import AmountError, InvoiceStateError
from crm_apps.billing.models import Invoice, Payment, Refund
from realtime.models import Notification
from tests.fixtures.world import post, signed_in
from tests.integration.test_invoices import SETUP, books_fixture, draft, issued  # noqa: F401


def stripe_payment(invoices, *, amount=None, status="succeeded", **fields):
    from crm_apps.payments.models import StripePayment

    amount = amount if amount is not None else sum(invoice.open_amount for invoice in invoices)
    return StripePayment.objects.create(
        purpose="invoices", reference={"invoice_ids": [invoice.pk for invoice in invoices]},
        amount=amount, currency="CNY", status=status, payment_intent_id="pi_test_1", **fields)


def test_partial_payments_then_paid(books):
    invoice = issued(books)  # 165.29
    services.record_payment(invoice, "100.00", "bank_transfer", reference="TX-1")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.open_amount) == (
        "partially_paid", Decimal("100.00"), Decimal("65.29"))
    services.record_payment(invoice, Decimal("65.29"), "cash")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("paid", Decimal("0"))
    with pytest.raises(InvoiceStateError):
        services.record_payment(invoice, "0.01", "cash")


def test_overpayment_is_refused_and_changes_nothing(books):
    invoice = issued(books)
    with pytest.raises(AmountError) as refused:
        services.record_payment(invoice, "165.30", "cash")
    assert refused.value.status == 400
    with pytest.raises(InvoiceStateError):
        services.record_payment(draft(books), "1.00", "cash")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.payments.count()) == (
        "open", Decimal("0"), 0)


def test_refunds_up_to_the_payment_and_refunded_when_all_is_given_back(books):
    invoice = issued(books)
    payment = services.record_payment(invoice, "165.29", "bank_transfer")
    services.refund(payment, "65.29", reason="One unit returned")
    invoice.refresh_from_db()
    # A refund gives money back and cancels that much of the sale: still settled.
    assert (invoice.status, invoice.refunded_total, invoice.open_amount) == (
        "paid", Decimal("65.29"), Decimal("0"))
    with pytest.raises(AmountError):
        services.refund(payment, "100.01")
    services.refund(payment, "100.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.refunded_total) == ("refunded", Decimal("165.29"))
    assert services.balance(books["mine"]) == 0


def test_a_partly_paid_invoice_refunded_still_owes_its_rest(books):
    invoice = issued(books)
    payment = services.record_payment(invoice, "65.29", "cash")
    services.refund(payment, "65.29")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("partially_paid", Decimal("100.00"))


@pytest.fixture
def clients(books, in_acme):
    return {name: signed_in(in_acme.host, email) for name, email in (
        ("rep", "rep@acme.example"), ("manager", "boss@acme.example"),
        ("admin", "admin@acme.example"))}


def test_the_payment_api_refuses_overpayment_and_bad_input_with_400(books, clients):
    invoice = issued(books)
    path = f"/api/v1/invoices/{invoice.pk}/payments/"
    manager = clients["manager"]
    for bad in ({"amount": "165.30", "method": "cash"}, {"amount": "-1", "method": "cash"},
                {"amount": "abc", "method": "cash"}, {"amount": "1.001", "method": "cash"},
                {"amount": "1", "method": "stripe"}, {"amount": "1", "method": "gold"},
                {}, {"amount": "1", "method": "cash", "received_at": "yesterday"}):
        response = post(manager, path, bad)
        assert response.status_code == 400, (bad, response.content)
    overpaid = post(manager, path, {"amount": "165.30", "method": "cash"})
    assert overpaid.json()["code"] == "overpayment"
    made = post(manager, path, {"amount": "65.29", "method": "bank_transfer",
                                "reference": "TX-7"})
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == "65.29"
    listed = manager.get(path)
    assert [row["reference"] for row in listed.json()] == ["TX-7"]
    detail = manager.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (detail["status"], detail["open_amount"]) == ("partially_paid", "100.00")
    # A sales rep sees the invoice but does not record money on it.
    assert clients["rep"].get(f"/api/v1/invoices/{invoice.pk}/").status_code == 200
    assert post(clients["rep"], path, {"amount": "1.00", "method": "cash"}).status_code == 403
    assert post(clients["rep"], f"/api/v1/invoices/{invoice.pk}/void/", {}).status_code == 403


def test_the_refund_api(books, clients):
    invoice = issued(books)
    payment = services.record_payment(invoice, "165.29", "cash")
    path = f"/api/v1/invoices/{invoice.pk}/refunds/"
    admin = clients["admin"]
    assert post(clients["rep"], path, {"payment": payment.pk, "amount": "1"}).status_code == 403
    for bad in ({"payment": payment.pk, "amount": "165.30"}, {"payment": 999999, "amount": "1"},
                {"payment": "x", "amount": "1"}, {"amount": "1"},
                {"payment": payment.pk, "amount": "0"}):
        response = post(admin, path, bad)
        assert response.status_code == 400, (bad, response.content)
    other = services.record_payment(issued(books), "1.00", "cash")
    assert post(admin, path, {"payment": other.pk, "amount": "1"}).status_code == 400
    done = post(admin, path, {"payment": payment.pk, "amount": "165.29", "reason": "Returned"})
    assert done.status_code == 201, done.content
    assert admin.get(f"/api/v1/invoices/{invoice.pk}/").json()["status"] == "refunded"
    # Voiding a paid invoice is refused; a fresh one is voided by the admin.
    assert post(admin, f"/api/v1/invoices/{invoice.pk}/void/", {}).status_code == 409
    fresh = issued(books)
    voided = post(admin, f"/api/v1/invoices/{fresh.pk}/void/", {})
    assert (voided.status_code, voided.json()["status"]) == (200, "void")


def test_stripe_success_pays_each_invoice_once(books, django_capture_on_commit_callbacks):
    first, second = issued(books), issued(books, lines=[SETUP])
    services.record_payment(second, "13.00", "cash")
    second.refresh_from_db()
    paid = stripe_payment([first, second])
    assert paid.amount == Decimal("265.29")  # 165.29 + 100.00 still due
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        recorded = stripe_apply.record_invoice_payments(paid, {"type": "payment_intent.succeeded"})
    assert sorted(payment.amount for payment in recorded) == [Decimal("100.00"),
                                                              Decimal("165.29")]
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert invoice.status == "paid"
    # Applied again (a redelivered event): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = stripe_apply.record_invoice_payments(paid, {"type": "payment_intent.succeeded"})
    assert {payment.pk for payment in again} == {payment.pk for payment in recorded}
    assert Payment.objects.filter(stripe_payment=paid).count() == 2
    # One receipt per invoice, automatic, in the invoice's language, with the PDF.
    receipts = [message for message in mail.outbox if "Receipt" in message.subject]
    assert len(receipts) == 2
    assert receipts[0].extra_headers.get("Auto-Submitted") == "auto-generated"
    assert receipts[0].attachments[0][2] == "application/pdf"
    # Live notifications: the customer's portal login and the account's owner, once each.
    assert Notification.objects.filter(recipient=books["customer"],
                                       kind="invoice.receipt").count() == 2
    assert Notification.objects.filter(recipient=books["rep"], kind="invoice.paid").count() == 2


def test_stripe_success_skips_settled_foreign_and_missing_invoices(books):
    settled = issued(books)
    services.record_payment(settled, "165.29", "cash")
    dollars = issued(books, currency="USD")
    paid = stripe_payment([settled, dollars], amount=Decimal("165.29"))
    paid.reference["invoice_ids"].append(999999)
    paid.save()
    assert stripe_apply.record_invoice_payments(paid, {}) == []
    dollars.refresh_from_db()
    assert dollars.status == "open"


def test_stripe_refunds_are_recorded_once_per_refund_id(books):
    first, second = issued(books), issued(books, lines=[SETUP])
    paid = stripe_payment([first, second])
    stripe_apply.record_invoice_payments(paid, {})
    paid.amount_refunded = Decimal("200.00")
    paid.status = "partially_refunded"
    paid.save()
    event = {"type": "charge.refunded", "data": {"object": {
        "id": "ch_1", "amount_refunded": 20000,
        "refunds": {"data": [{"id": "re_1", "amount": 20000, "status": "succeeded"}]}}}}
    made = stripe_apply.record_refund(paid, event)
    assert sum(row.amount for row in made) == Decimal("200.00")
    assert stripe_apply.record_refund(paid, event) == []  # delivered again
    assert Refund.objects.filter(stripe_refund_id="re_1").count() == 2  # spread over both
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.refunded_total) == ("refunded", Decimal("165.29"))
    assert second.refunded_total == Decimal("34.71")
    # The rest refunded later, the event without a refund list: an id from the charge.
    paid.amount_refunded = Decimal("278.29")
    paid.save()
    later = {"type": "charge.refunded", "data": {"object": {"id": "ch_1",
                                                            "amount_refunded": 27829}}}
    assert sum(row.amount for row in stripe_apply.record_refund(paid, later)) == Decimal("78.29")
    assert stripe_apply.record_refund(paid, later) == []
    second.refresh_from_db()
    assert second.status == "refunded"


def test_the_applier_is_registered_for_invoices():
    from crm_apps.payments import appliers

    registered = appliers.applier_for("invoices")
    assert registered.succeeded is stripe_apply.record_invoice_payments
    assert registered.refunded is stripe_apply.record_refund


def test_overpayment_guard_is_also_in_the_database(books):
    from django.db import IntegrityError, transaction

    invoice = issued(books)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_total=Decimal("999"))


def test_stripe_end_to_end_through_the_gateway_and_events(books, clients, fake_stripe):
    """Checkout on the fake, its events applied twice (each applied once), then a staff refund
    through Stripe whose charge.refunded event adds no second refund."""
    from core import stripe_gateway
    from crm_apps.payments.events import apply_event
    from tests.fixtures.fake_stripe import use_own_keys

    use_own_keys()
    invoice = issued(books)
    paid = stripe_payment([invoice], status="created")
    paid.payment_intent_id = ""
    paid.save()
    url = stripe_gateway.start_checkout(
        paid, line_items=[{"name": invoice.number, "amount": invoice.open_amount}],
        success_url="https://acme.example/ok", cancel_url="https://acme.example/no")
    events = fake_stripe.pay(url.rsplit("/", 1)[1])
    outcomes = [apply_event(event) for event in events + events]
    assert outcomes[2:] == ["duplicate", "duplicate"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payments.get().method) == ("paid", "stripe")
    payment = invoice.payments.get()
    answer = post(clients["admin"], f"/api/v1/invoices/{invoice.pk}/refunds/",
                  {"payment": payment.pk, "amount": "65.29", "reason": "Partly returned"})
    assert answer.status_code == 201, answer.content
    refund_id = answer.json()["stripe_refund_id"]
    assert refund_id in fake_stripe.refunds
    assert apply_event(fake_stripe.refund_event(refund_id)) == "partially_refunded"
    assert list(Refund.objects.filter(payment=payment).values_list("amount", flat=True)) == [
        Decimal("65.29")]
    # Stripe down: nothing is refunded in our books either.
    fake_stripe.fail_next(5, path_prefix="/v1/refunds")
    down = post(clients["admin"], f"/api/v1/invoices/{invoice.pk}/refunds/",
                {"payment": payment.pk, "amount": "1.00"})
    assert down.status_code == 503
    assert Refund.objects.filter(payment=payment).count() == 1


def test_a_stripe_refund_without_stripe_set_up_is_refused_with_nothing_recorded(books, clients):
    invoice = issued(books)
    paid = stripe_payment([invoice])
    stripe_apply.record_invoice_payments(paid, {})
    payment = invoice.payments.get()
    answer = post(clients["admin"], f"/api/v1/invoices/{invoice.pk}/refunds/",
                  {"payment": payment.pk, "amount": "1.00"})
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "stripe_not_configured"
    assert not Refund.objects.filter(payment=payment).exists()
