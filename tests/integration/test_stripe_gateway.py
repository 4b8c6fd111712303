"""The Stripe gateway against the local fake, through the real `stripe` library: checkout and
refunds keyed by our own payment record (a retry never charges twice), minor units by
currency, missing configuration, Stripe unreachable, and Connect's platform key + account."""

import logging
from decimal import Decimal

import pytest

from core import stripe_gateway
from core.stripe_gateway import (
    StripeNotConfigured,
    StripeUnavailable,
    from_minor_units,
    refund,
    start_checkout,
    to_minor_units,
)
from crm_apps.payments.models import StripePayment
from tests.fixtures.fake_stripe import use_connect, use_own_keys

SESSIONS = "/v1/checkout/sessions"
REFUNDS = "/v1/refunds"
LINES = [{"name": "Invoice INV-2026-000001", "amount": Decimal("100.00"), "quantity": 1},
         {"name": "Invoice INV-2026-000002", "amount": Decimal("11.17"), "quantity": 2}]


@pytest.fixture
def payment(in_acme):
    return StripePayment.objects.create(purpose="invoices", amount=Decimal("122.34"),
                                        currency="usd", reference={"invoice_ids": [1, 2]})


def checkout(payment):
    return start_checkout(payment, line_items=LINES, success_url="http://acme.localhost/ok/",
                          cancel_url="http://acme.localhost/back/",
                          customer_email="customer@acme.example")


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    (Decimal("12.34"), "USD", 1234), (Decimal("1000"), "JPY", 1000),
    (Decimal("1000.00"), "jpy", 1000), (Decimal("1.25"), "KWD", 1250),
    (Decimal("0.10"), "CNY", 10),
])
def test_amounts_go_to_stripe_in_minor_units_of_the_currency(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert from_minor_units(minor, currency) == amount.quantize(Decimal("0.01"))


def test_an_amount_finer_than_the_currency_or_a_float_is_refused():
    with pytest.raises(ValueError, match="finer"):
        to_minor_units(Decimal("1000.50"), "JPY")
    with pytest.raises(ValueError, match="finer"):
        to_minor_units(Decimal("1.005"), "USD")
    with pytest.raises(TypeError):
        to_minor_units(12.34, "USD")


def test_checkout_opens_a_session_keyed_by_our_payment(payment, fake_stripe, caplog):
    caplog.set_level(logging.DEBUG)
    keys = use_own_keys()
    url = checkout(payment)
    assert keys["secret_key"] not in caplog.text

    [request] = fake_stripe.requests_to("POST", SESSIONS)
    session = fake_stripe.sessions[payment.checkout_session_id]
    assert url == session["url"] == f"{fake_stripe.url}/pay/{session['id']}"
    assert request.api_key == keys["secret_key"]
    assert request.account is None
    assert request.idempotency_key == f"{payment.pk}:checkout"
    assert session["amount_total"] == 12234
    assert session["currency"] == "usd"
    assert request.params["metadata"]["stripe_payment"] == str(payment.pk)
    assert request.params["payment_intent_data"]["metadata"]["stripe_payment"] == str(
        payment.pk)
    assert request.params["client_reference_id"] == str(payment.pk)
    assert request.params["customer_email"] == "customer@acme.example"
    assert request.params["line_items"][1] == {
        "quantity": "2", "price_data": {"currency": "usd", "unit_amount": "1117",
                                        "product_data": {"name": "Invoice INV-2026-000002"}}}
    payment.refresh_from_db()
    assert payment.status == StripePayment.Status.PENDING


def test_a_retried_checkout_creates_one_session(payment, fake_stripe):
    use_own_keys()
    first = checkout(payment)
    again = checkout(StripePayment.objects.get(pk=payment.pk))

    assert again == first
    assert fake_stripe.created(SESSIONS) == 1
    assert len(fake_stripe.sessions) == 1
    requests = fake_stripe.requests_to("POST", SESSIONS)
    assert [r.replayed for r in requests] == [False, True]
    assert {r.idempotency_key for r in requests} == {f"{payment.pk}:checkout"}


def test_a_lost_answer_is_retried_by_the_library_with_the_same_key(payment, fake_stripe):
    """Stripe creates the session but the answer is lost (500): the library retries with our
    key, and Stripe answers with the session it already made."""
    use_own_keys()
    fake_stripe.fail_next(after_effect=True)
    url = checkout(payment)

    assert fake_stripe.created(SESSIONS) == 1
    requests = fake_stripe.requests_to("POST", SESSIONS)
    assert len(requests) == 2
    assert requests[0].failed_with == 500
    assert requests[1].replayed
    assert url == fake_stripe.sessions[payment.checkout_session_id]["url"]


def test_stripe_unreachable_raises_and_leaves_the_payment_as_it_was(payment, fake_stripe):
    use_own_keys()
    fake_stripe.fail_next(3)   # the first try and both retries
    with pytest.raises(StripeUnavailable):
        checkout(payment)
    payment.refresh_from_db()
    assert payment.status == StripePayment.Status.CREATED
    assert payment.checkout_session_id == ""
    assert fake_stripe.created(SESSIONS) == 0

    fake_stripe.stop()   # nobody answers at all
    with pytest.raises(StripeUnavailable):
        checkout(payment)


def test_a_tenant_without_stripe_gets_stripe_not_configured(payment, fake_stripe):
    assert not stripe_gateway.configured()
    with pytest.raises(StripeNotConfigured):
        checkout(payment)
    with pytest.raises(StripeNotConfigured):
        stripe_gateway.stripe_client()
    assert fake_stripe.requests == []


def test_connect_uses_the_platform_key_and_the_connected_account(payment, fake_stripe,
                                                                 settings, acme):
    settings.STRIPE_SECRET_KEY = "sk_test_platform_0001"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform_0001"
    use_connect(acme.tenant, "acct_1AcmeConnected")
    checkout(payment)

    [request] = fake_stripe.requests_to("POST", SESSIONS)
    assert request.api_key == "sk_test_platform_0001"
    assert request.account == "acct_1AcmeConnected"
    assert request.idempotency_key == f"{payment.pk}:checkout"


def test_connect_without_platform_keys_is_not_configured(payment, fake_stripe, settings, acme):
    settings.STRIPE_SECRET_KEY = ""
    use_connect(acme.tenant, "acct_1AcmeConnected")
    with pytest.raises(StripeNotConfigured):
        checkout(payment)


def test_a_paid_payment_is_not_checked_out_again(payment, fake_stripe):
    use_own_keys()
    StripePayment.objects.filter(pk=payment.pk).update(status=StripePayment.Status.SUCCEEDED)
    payment.refresh_from_db()
    with pytest.raises(ValueError, match="not paid again"):
        checkout(payment)
    assert fake_stripe.requests == []


def test_lines_that_do_not_add_up_to_the_payment_are_refused(payment, fake_stripe):
    use_own_keys()
    with pytest.raises(ValueError, match="add up"):
        start_checkout(payment, line_items=LINES[:1], success_url="http://x/",
                       cancel_url="http://x/")
    assert fake_stripe.requests == []


def test_a_retried_refund_is_one_refund(payment, fake_stripe):
    use_own_keys()
    checkout(payment)
    fake_stripe.pay(payment.checkout_session_id)
    # No webhook yet: the gateway asks Stripe for the session's payment intent.
    first = refund(payment, Decimal("22.34"), key_suffix="r1")
    again = refund(payment, Decimal("22.34"), key_suffix="r1")

    assert again == first
    assert fake_stripe.created(REFUNDS) == 1
    assert fake_stripe.requests_to("GET", f"{SESSIONS}/{payment.checkout_session_id}")
    request = fake_stripe.requests_to("POST", REFUNDS)[0]
    assert request.idempotency_key == f"{payment.pk}:refund:r1"
    assert request.params["amount"] == "2234"

    fake_stripe.fail_next(after_effect=True, path_prefix=REFUNDS)
    second = refund(payment, Decimal("100.00"), key_suffix="r2")
    assert second != first
    assert fake_stripe.created(REFUNDS) == 2
    assert fake_stripe.refunds[second]["amount"] == 10000


def test_a_refund_beyond_the_payment_or_before_stripe_is_refused(payment, fake_stripe):
    use_own_keys()
    with pytest.raises(ValueError, match="at most the payment"):
        refund(payment, Decimal("0"), key_suffix="zero")
    with pytest.raises(ValueError, match="at most the payment"):
        refund(payment, Decimal("200.00"), key_suffix="big")
    with pytest.raises(ValueError, match="never reached"):
        refund(payment, Decimal("1.00"), key_suffix="early")
    assert fake_stripe.requests == []
