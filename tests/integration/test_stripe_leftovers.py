"""Two loose ends of Stripe payments, against the local fake: a shopper who cancels closes the
checkout session at Stripe (so it cannot be paid later, unless it already was: then the
webhook pays the order after all), and money Stripe took for an invoice settled meanwhile goes
back to the customer automatically, once, without being counted as a refund of the invoices."""

import logging
from decimal import Decimal

import httpx
import pytest

from core import stripe_gateway
from crm_apps.billing import services, stripe_apply
from crm_apps.billing.models import Payment, Refund
from crm_apps.payments.events import apply_event
from crm_apps.payments.models import StripePayment
from realtime.models import Notification
from store.checkout import stripe_orders
from tests.fixtures.fake_stripe import SessionExpired, use_own_keys
from tests.fixtures.world import host_client
from tests.integration.test_invoices import SETUP, books_fixture, issued  # noqa: F401
from tests.integration.test_store_checkout import (  # noqa: F401
    HOST,
    deliver,
    place_order,
    shop,
    shopper,
    the_order,
)

SESSIONS = "/v1/checkout/sessions"
REFUNDS = "/v1/refunds"


def open_checkout(payment, lines) -> str:
    url = stripe_gateway.start_checkout(payment, line_items=lines,
                                        success_url="http://acme.localhost/ok/",
                                        cancel_url="http://acme.localhost/back/")
    return url.rsplit("/", 1)[1]


@pytest.fixture
def waiting(in_acme, fake_stripe):
    """A USD payment waiting on an open session of the fake: (payment, session id)."""
    use_own_keys()
    payment = StripePayment.objects.create(purpose="invoices", amount=Decimal("40.00"),
                                           currency="USD", reference={"invoice_ids": []})
    return payment, open_checkout(payment, [{"name": "Invoice", "amount": Decimal("40.00")}])


# --- 1. Cancelling at Stripe ----------------------------------------------------------------


def test_expiring_closes_the_session_under_our_key_and_it_cannot_be_paid(waiting,
                                                                          fake_stripe):
    payment, session_id = waiting
    assert stripe_gateway.expire_checkout(payment) is True
    expire_path = f"{SESSIONS}/{session_id}/expire"
    [request] = fake_stripe.requests_to("POST", expire_path)
    assert request.idempotency_key == f"{payment.pk}:expire"
    assert fake_stripe.sessions[session_id]["status"] == "expired"
    payment.refresh_from_db()
    assert payment.status == "canceled"  # a new "Pay" opens a new session
    with pytest.raises(SessionExpired):
        fake_stripe.pay(session_id)
    page = httpx.post(f"{fake_stripe.url}/pay/{session_id}")
    assert page.status_code == 410
    assert "expired" in page.text
    # Asked again (a reload of the cancel page): the same answer, still one expiry.
    assert stripe_gateway.expire_checkout(payment) is True
    assert fake_stripe.requests_to("POST", expire_path)[1].replayed


def test_a_completed_session_is_not_expired_and_the_payment_is_left_to_the_webhook(
        waiting, fake_stripe):
    payment, session_id = waiting
    fake_stripe.pay(session_id)  # paid; its events not delivered yet
    assert stripe_gateway.expire_checkout(payment) is False
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert fake_stripe.sessions[session_id]["status"] == "complete"


def test_stripe_unreachable_when_expiring_raises_and_changes_nothing(waiting, fake_stripe):
    payment, session_id = waiting
    fake_stripe.fail_next(3, path_prefix=SESSIONS)  # the library tries three times
    with pytest.raises(stripe_gateway.StripeUnavailable):
        stripe_gateway.expire_checkout(payment)
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert fake_stripe.sessions[session_id]["status"] == "open"


def test_the_shoppers_cancel_page_expires_the_session(shop, fake_stripe,  # noqa: F811
                                                      django_capture_on_commit_callbacks):
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/shop/checkout/payment-cancelled/")
    assert 'data-outcome="cancelled"' in page.content.decode()
    [request] = fake_stripe.requests_to(
        "POST", f"{SESSIONS}/{payment.checkout_session_id}/expire")
    assert request.idempotency_key == f"{payment.pk}:expire"
    with pytest.raises(SessionExpired):
        fake_stripe.pay(payment.checkout_session_id)
    payment.refresh_from_db()
    assert payment.status == "canceled"
    # Stripe's expiry event afterwards changes nothing more.
    assert deliver(host_client(HOST), fake_stripe.expire(payment.checkout_session_id)
                   ).status_code == 200
    order.refresh_from_db()
    assert order.status == stripe_orders.PAYMENT_FAILED


def test_cancelling_after_a_declined_card_closes_the_session_too(
        shop, fake_stripe, django_capture_on_commit_callbacks):  # noqa: F811
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    # Declined: the order is released, but the page would take another card.
    assert deliver(host_client(HOST), fake_stripe.decline(payment.checkout_session_id)
                   ).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/shop/checkout/payment-cancelled/")
    assert 'data-outcome="failed"' in page.content.decode()
    assert fake_stripe.sessions[payment.checkout_session_id]["status"] == "expired"
    payment.refresh_from_db()
    assert payment.status == "canceled"


def test_paid_just_before_the_cancel_page_the_webhook_still_pays_the_order(
        shop, fake_stripe, django_capture_on_commit_callbacks):  # noqa: F811
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    events = fake_stripe.pay(payment.checkout_session_id)  # the events are on their way
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/shop/checkout/payment-cancelled/")
    assert 'data-outcome="cancelled"' in page.content.decode()
    assert fake_stripe.sessions[payment.checkout_session_id]["status"] == "complete"
    payment.refresh_from_db()
    assert payment.status == "pending"
    for event in events:
        assert deliver(host_client(HOST), event).status_code == 200
    order.refresh_from_db()
    assert order.status == stripe_orders.PAID
    assert order.sources.count() == 1


def test_stripe_down_on_the_cancel_page_still_releases_the_order(
        shop, fake_stripe, django_capture_on_commit_callbacks, caplog):  # noqa: F811
    client = shopper()
    place_order(client, shop["lamp"])
    order, payment = the_order()
    fake_stripe.fail_next(3, path_prefix=SESSIONS)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        page = client.get("/shop/checkout/payment-cancelled/")
    assert page.status_code == 200
    assert 'data-outcome="cancelled"' in page.content.decode()
    assert "was not expired" in caplog.text
    order.refresh_from_db()
    assert order.status == stripe_orders.PAYMENT_FAILED


# --- 2. Money for an invoice settled meanwhile ----------------------------------------------


def two_invoices_on_stripe(books):
    """Two open invoices (165.29 and 113.00 CNY) in one checkout on the fake."""
    use_own_keys()
    first, second = issued(books), issued(books, lines=[SETUP])
    payment = StripePayment.objects.create(
        purpose="invoices", reference={"invoice_ids": [first.pk, second.pk]},
        amount=first.open_amount + second.open_amount, currency="CNY")
    session_id = open_checkout(payment, [
        {"name": invoice.number, "amount": invoice.open_amount} for invoice in (first, second)])
    return first, second, payment, session_id


def test_money_for_an_invoice_settled_meanwhile_goes_back_once(
        books, fake_stripe, django_capture_on_commit_callbacks):
    first, second, paid, session_id = two_invoices_on_stripe(books)
    # Paid by bank transfer while the customer was on Stripe's page.
    services.record_payment(second, second.open_amount, "bank_transfer", reference="TX-1")
    events = fake_stripe.pay(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert [apply_event(event) for event in events] == ["succeeded", "kept succeeded"]
    # The open invoice got its payment, the settled one nothing.
    [payment] = Payment.objects.filter(stripe_payment=paid)
    assert (payment.invoice_id, payment.amount) == (first.pk, Decimal("165.29"))
    second.refresh_from_db()
    assert (second.status, second.payments.count()) == ("paid", 1)
    # The rest went back to the customer, under a key of our payment.
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.idempotency_key == f"{paid.pk}:refund:unapplied"
    assert request.params["amount"] == "11300"
    paid.refresh_from_db()
    refund_id = paid.reference["unapplied"]["refund_id"]
    assert refund_id in fake_stripe.refunds
    assert paid.reference["unapplied"]["amount"] == "113.00"
    # The account's owner hears of it, once.
    told = Notification.objects.filter(recipient=books["rep"],
                                       kind="invoice.unapplied_refunded")
    assert told.count() == 1
    assert second.number in told.get().title
    # Stripe's charge.refunded for it is not a refund of the invoice paid.
    refunded = fake_stripe.refund_event(refund_id)
    assert apply_event(refunded) == "partially_refunded"
    assert not Refund.objects.exists()
    first.refresh_from_db()
    assert (first.status, first.refunded_total) == ("paid", Decimal("0"))
    # Everything delivered again: nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        assert {apply_event(event) for event in [*events, refunded]} == {"duplicate"}
    assert Payment.objects.filter(stripe_payment=paid).count() == 1
    assert not Refund.objects.exists()
    assert fake_stripe.created(REFUNDS) == 1
    assert told.count() == 1
    # A later refund of the invoice's own money is still recorded on its payment.
    own = stripe_gateway.refund(paid, Decimal("65.29"), key_suffix="by-hand")
    assert apply_event(fake_stripe.refund_event(own)) == "partially_refunded"
    assert list(Refund.objects.values_list("payment_id", "amount")) == [
        (payment.pk, Decimal("65.29"))]


def test_an_early_charge_refunded_is_not_spread_either(books, fake_stripe,
                                                       django_capture_on_commit_callbacks):
    """The automatic refund's event may arrive before the task has kept the refund id: the
    amount noted with the payments is what keeps it off the invoices."""
    first, second, paid, session_id = two_invoices_on_stripe(books)
    services.record_payment(second, second.open_amount, "cash")
    events = fake_stripe.pay(session_id)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apply_event(events[0])
    paid.refresh_from_db()
    assert paid.reference["unapplied"] == {"amount": "113.00", "invoice_ids": [second.pk],
                                           "refund_id": ""}
    refund_id = stripe_gateway.refund(paid, Decimal("113.00"), key_suffix="unapplied")
    assert apply_event(fake_stripe.refund_event(refund_id)) == "partially_refunded"
    assert not Refund.objects.exists()
    for callback in callbacks:  # the task now: the same key, the same refund
        callback()
    paid.refresh_from_db()
    assert paid.reference["unapplied"]["refund_id"] == refund_id
    assert fake_stripe.created(REFUNDS) == 1


def test_stripe_unreachable_the_refund_is_tried_again(books, fake_stripe,
                                                     django_capture_on_commit_callbacks):
    first, second, paid, session_id = two_invoices_on_stripe(books)
    services.record_payment(second, second.open_amount, "cash")
    events = fake_stripe.pay(session_id)
    fake_stripe.fail_next(3, path_prefix=REFUNDS)  # one run of the task, all its tries
    with django_capture_on_commit_callbacks(execute=True):
        apply_event(events[0])
    paid.refresh_from_db()
    assert paid.reference["unapplied"]["refund_id"] in fake_stripe.refunds
    assert fake_stripe.created(REFUNDS) == 1


def test_stripe_down_for_good_is_left_to_staff_with_a_log(books, fake_stripe, caplog,
                                                         django_capture_on_commit_callbacks):
    first, second, paid, session_id = two_invoices_on_stripe(books)
    services.record_payment(second, second.open_amount, "cash")
    events = fake_stripe.pay(session_id)
    fake_stripe.fail_next(3 * (stripe_apply.REFUND_RETRIES + 1), path_prefix=REFUNDS)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        assert apply_event(events[0]) == "succeeded"
    assert "NOT refunded" in caplog.text
    paid.refresh_from_db()
    assert paid.reference["unapplied"]["refund_id"] == ""
    assert Payment.objects.filter(stripe_payment=paid).count() == 1  # the payment stands


def test_a_payment_in_another_currency_goes_back_whole(books, fake_stripe,
                                                       django_capture_on_commit_callbacks):
    use_own_keys()
    dollars = issued(books, currency="USD")
    paid = StripePayment.objects.create(purpose="invoices",
                                        reference={"invoice_ids": [dollars.pk]},
                                        amount=dollars.open_amount, currency="CNY")
    session_id = open_checkout(paid, [{"name": dollars.number, "amount": dollars.open_amount}])
    with django_capture_on_commit_callbacks(execute=True):
        apply_event(fake_stripe.pay(session_id)[0])
    assert not Payment.objects.exists()
    [request] = fake_stripe.requests_to("POST", REFUNDS)
    assert request.params["amount"] == str(int(dollars.open_amount * 100))
