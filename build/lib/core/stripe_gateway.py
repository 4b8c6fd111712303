"""The one way to Stripe: the current tenant's client, checkout sessions (opened and expired) and
refunds, each POST with an idempotency key derived from our own StripePayment so a retry never
charges twice."""

import logging
from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# Stripe counts amounts in the currency's smallest unit; these currencies have none or three
# decimals (https://docs.stripe.com/currencies#zero-decimal), every other one has two.
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
})
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


class StripeNotConfigured(Exception):
    """The tenant has neither its own keys nor a connected account (or the platform has no
    keys for Connect)."""


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the request."""


def currency_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("12.34")`` USD -> 1234; JPY 1000 -> 1000. An amount finer than the currency
    allows is refused rather than rounded, so what Stripe charges is what we recorded."""
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal")
    minor = amount.scaleb(currency_exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} is finer than {currency.upper()} allows")
    return int(minor.to_integral_value(rounding=ROUND_HALF_UP))


def from_minor_units(minor: int, currency: str) -> Decimal:
    return Decimal(int(minor)).scaleb(-currency_exponent(currency)).quantize(Decimal("0.01"))


def _credentials() -> tuple[str, str | None]:
    """(API key, connected account or None) for the current tenant."""
    from crm_apps.payments.models import StripeAccountSettings

    account = StripeAccountSettings.current()
    if not account.is_configured:
        raise StripeNotConfigured
    if account.mode == StripeAccountSettings.Mode.CONNECT:
        return settings.STRIPE_SECRET_KEY, account.connected_account_id
    return account.secret_key, None


def configured() -> bool:
    """Whether the current tenant can take payments (pages show a message when not)."""
    from crm_apps.payments.models import StripeAccountSettings

    return StripeAccountSettings.current().is_configured


def stripe_client() -> stripe.StripeClient:
    """A client for the current tenant's keys (Connect: the platform's keys; the connected
    account goes in each request's options, see ``request_options``)."""
    api_key, _account = _credentials()
    return _client(api_key)


def _client(api_key: str) -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2)


def request_options(idempotency_key: str | None = None) -> dict:
    """Per-request options: the connected account (Connect) and the idempotency key."""
    _api_key, account = _credentials()
    options = {}
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def _line_item(line: dict, currency: str) -> dict:
    """Our line {"name", "amount" (Decimal unit price), "quantity"} as Stripe's price_data."""
    return {
        "quantity": int(line.get("quantity", 1)),
        "price_data": {
            "currency": currency.lower(),
            "unit_amount": to_minor_units(line["amount"], currency),
            "product_data": {"name": str(line["name"])[:250]},
        },
    }


def start_checkout(payment, *, line_items: list[dict], success_url: str, cancel_url: str,
                   customer_email: str = "") -> str:
    """Open (or, for a retried request, find again) the hosted checkout page for ``payment``
    and return its URL; the payment becomes pending. The lines must add up to its amount."""
    if payment.status not in ("created", "pending"):
        raise ValueError(f"a payment that is {payment.status} is not paid again")
    total = sum((line["amount"] * int(line.get("quantity", 1)) for line in line_items),
                Decimal("0"))
    if total != payment.amount:
        raise ValueError(f"the lines add up to {total}, the payment is {payment.amount}")
    reference = {"stripe_payment": str(payment.pk), "purpose": payment.purpose}
    params = {
        "mode": "payment",
        "line_items": [_line_item(line, payment.currency) for line in line_items],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(payment.pk),
        "metadata": reference,
        "payment_intent_data": {"metadata": reference},
    }
    if customer_email:
        params["customer_email"] = customer_email
    options = request_options(f"{payment.pk}:checkout")
    try:
        session = stripe_client().v1.checkout.sessions.create(params=params, options=options)
    except stripe.StripeError as error:
        logger.warning("Stripe refused or missed checkout for payment %s: %s", payment.pk,
                       type(error).__name__)
        raise StripeUnavailable(str(error.user_message or type(error).__name__)) from error
    _remember_session(payment, session.id)
    return session.url


def _remember_session(payment, session_id: str) -> None:
    from crm_apps.payments.models import StripePayment

    with transaction.atomic():
        row = StripePayment.objects.select_for_update().get(pk=payment.pk)
        row.checkout_session_id = session_id
        # A webhook may already have moved it further; never move it back.
        if row.status == StripePayment.Status.CREATED:
            row.status = StripePayment.Status.PENDING
        row.save(update_fields=["checkout_session_id", "status", "updated"])
    payment.checkout_session_id, payment.status = row.checkout_session_id, row.status


def expire_checkout(payment) -> bool:
    """Close ``payment``'s hosted checkout page so it can no longer be paid (the shopper gave
    up). True when the session is expired now (or never opened); False when Stripe refused
    because it is already complete: the money came in, and its webhook decides. Expiring moves
    a waiting (or declined) payment to "canceled" here at once, so a new "Pay" opens a new
    session; a later success still wins (the webhook's state machine ranks it higher)."""
    if not payment.checkout_session_id:
        return True
    options = request_options(f"{payment.pk}:expire")
    sessions = stripe_client().v1.checkout.sessions
    try:
        sessions.expire(payment.checkout_session_id, options=options)
    except stripe.InvalidRequestError as error:
        # Only an open session can be expired: find out whether it expired or completed.
        logger.info("Stripe did not expire the session of payment %s: %s", payment.pk,
                    error.user_message or type(error).__name__)
        try:
            session = sessions.retrieve(payment.checkout_session_id,
                                        options=request_options())
        except stripe.StripeError:
            return False
        if session.status != "expired":
            return False
    except stripe.StripeError as error:
        logger.warning("Stripe refused or missed expiring the session of payment %s: %s",
                       payment.pk, type(error).__name__)
        raise StripeUnavailable(str(error.user_message or type(error).__name__)) from error
    _mark_canceled(payment)
    return True


def _mark_canceled(payment) -> None:
    from crm_apps.payments.models import StripePayment

    # A declined card ("failed") leaves the session open for another card; now it is closed.
    waiting = (StripePayment.Status.CREATED, StripePayment.Status.PENDING,
               StripePayment.Status.FAILED)
    if StripePayment.objects.filter(pk=payment.pk, status__in=waiting).update(
            status=StripePayment.Status.CANCELED, updated=timezone.now()):
        payment.status = StripePayment.Status.CANCELED


def payment_intent_of(payment) -> str:
    """The payment intent behind ``payment``: known from a webhook, or asked of its session."""
    if payment.payment_intent_id:
        return payment.payment_intent_id
    if not payment.checkout_session_id:
        raise ValueError("this payment never reached Stripe")
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(
            payment.checkout_session_id, options=request_options())
    except stripe.StripeError as error:
        raise StripeUnavailable(str(error.user_message or type(error).__name__)) from error
    intent = session.payment_intent
    intent_id = intent if isinstance(intent, str) else getattr(intent, "id", "")
    if not intent_id:
        raise ValueError("this payment has not been paid")
    # Kept, so that the refund's charge.refunded event finds the payment even when it
    # arrives before the events that would have told us.
    type(payment).objects.filter(pk=payment.pk, payment_intent_id="").update(
        payment_intent_id=intent_id)
    payment.payment_intent_id = intent_id
    return intent_id


def refund(payment, amount: Decimal, *, key_suffix: str) -> str:
    """Refund ``amount`` of ``payment`` and return Stripe's refund id. The caller's
    ``key_suffix`` names this refund (e.g. our Refund row's id), so retrying it is one refund."""
    if amount <= 0 or amount > payment.amount:
        raise ValueError("a refund is more than zero and at most the payment")
    params = {"payment_intent": payment_intent_of(payment),
              "amount": to_minor_units(amount, payment.currency),
              "metadata": {"stripe_payment": str(payment.pk)}}
    options = request_options(f"{payment.pk}:refund:{key_suffix}")
    try:
        result = stripe_client().v1.refunds.create(params=params, options=options)
    except stripe.StripeError as error:
        logger.warning("Stripe refused or missed a refund of payment %s: %s", payment.pk,
                       type(error).__name__)
        raise StripeUnavailable(str(error.user_message or type(error).__name__)) from error
    return result.id
