"""Applying a verified Stripe event to our payment, once, whatever the order of delivery.

Stripe delivers at least once and in no fixed order. Each event is stored under its unique id
in the transaction that holds the payment's row lock, so a redelivery finds it and does
nothing; the status only moves forward (see RANK), so a late "failed" or "expired" never
undoes a success, and an early success is not lost when the session's completion comes after.
"""

import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.stripe_gateway import from_minor_units, to_minor_units
from crm_apps.payments import appliers
from crm_apps.payments.models import StripeEvent, StripePayment

logger = logging.getLogger(__name__)

Status = StripePayment.Status

# A payment only moves to a higher rank; an event asking for a lower one changes nothing.
RANK = {
    Status.CREATED: 0, Status.PENDING: 1, Status.FAILED: 2, Status.CANCELED: 3,
    Status.SUCCEEDED: 4, Status.PARTIALLY_REFUNDED: 5, Status.REFUNDED: 6,
}
WAITING = "waiting for its payment"
HANDLED = frozenset({
    "checkout.session.completed", "checkout.session.expired", "payment_intent.succeeded",
    "payment_intent.payment_failed", "charge.refunded",
})


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def payment_pk(kind: str, obj: dict) -> uuid.UUID | None:
    """Our StripePayment behind the event's object, if it is in this schema."""
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    candidates = [metadata.get("stripe_payment")]
    if kind.startswith("checkout.session."):
        candidates.append(obj.get("client_reference_id"))
    for candidate in candidates:
        pk = _uuid(candidate)
        if pk and StripePayment.objects.filter(pk=pk).exists():
            return pk
    lookups = {
        "checkout.session.": ("checkout_session_id", obj.get("id")),
        "payment_intent.": ("payment_intent_id", obj.get("id")),
        "charge.": ("payment_intent_id", obj.get("payment_intent")),
    }
    for prefix, (field, value) in lookups.items():
        if kind.startswith(prefix) and isinstance(value, str) and value:
            return (StripePayment.objects.filter(**{field: value})
                    .values_list("pk", flat=True).first())
    return None


def apply_event(event: dict, *, account: str = "") -> str:
    """Apply one verified event in the current schema; return what happened (for the log and
    the response). Unknown types and payments that are not here change nothing."""
    kind = event["type"]
    if kind not in HANDLED:
        return "ignored"
    obj = event["data"]["object"]
    pk = payment_pk(kind, obj)
    if pk is None and kind == "charge.refunded":
        return _park(event, account)
    if pk is None:
        logger.info("Stripe event %s (%s) matches no payment here", event["id"], kind)
        return "no matching payment"
    with transaction.atomic():
        payment = StripePayment.objects.select_for_update().filter(pk=pk).first()
        if payment is None:
            return "no matching payment"
        # The lock serialises every event of this payment, so a redelivery waiting on it sees
        # the first delivery's row once that commits; the unique index is the backstop.
        if StripeEvent.objects.filter(event_id=event["id"]).exists():
            return "duplicate"
        try:
            with transaction.atomic():
                stored = StripeEvent.objects.create(
                    event_id=event["id"], type=kind, livemode=bool(event.get("livemode")),
                    account=account, payment=payment, payload=event)
        except IntegrityError:
            return "duplicate"
        outcome = _apply(payment, kind, obj, event)
        stored.applied_at = timezone.now()
        stored.outcome = outcome
        stored.save(update_fields=["applied_at", "outcome"])
    logger.info("Stripe event %s (%s) on payment %s: %s", event["id"], kind, pk, outcome)
    return outcome


def _park(event: dict, account: str) -> str:
    """Keep a refund whose charge names a payment intent we have not been told of yet (a
    refund made in Stripe's dashboard can arrive before the checkout's events, and the charge
    does not carry our metadata); it is applied when an event links that intent to a payment."""
    intent = event["data"]["object"].get("payment_intent")
    if not isinstance(intent, str) or not intent:
        return "no matching payment"
    try:
        with transaction.atomic():
            StripeEvent.objects.create(
                event_id=event["id"], type=event["type"], livemode=bool(event.get("livemode")),
                account=account, payload=event, outcome=WAITING)
    except IntegrityError:
        return "duplicate"
    logger.info("Stripe event %s waits for payment intent %s", event["id"], intent)
    return WAITING


def _apply_waiting(payment: StripePayment) -> None:
    """Apply the parked refunds of ``payment``'s intent, now known (its row is locked)."""
    waiting = (StripeEvent.objects.select_for_update()
               .filter(payment__isnull=True, applied_at__isnull=True, type="charge.refunded",
                       payload__data__object__payment_intent=payment.payment_intent_id)
               .order_by("received_at"))
    for stored in waiting:
        stored.payment = payment
        stored.save(update_fields=["payment"])  # first, so applying it cannot find it again
        stored.outcome = _refund(payment, stored.payload["data"]["object"], stored.payload)
        stored.applied_at = timezone.now()
        stored.save(update_fields=["outcome", "applied_at"])


def _apply(payment: StripePayment, kind: str, obj: dict, event: dict) -> str:
    if kind == "checkout.session.completed":
        _remember_ids(payment, session_id=obj.get("id"), intent_id=obj.get("payment_intent"))
        if obj.get("payment_status") in ("paid", "no_payment_required"):
            if not _amount_matches(payment, obj.get("amount_total")):
                return _mismatch(payment, obj.get("amount_total"))
            return _move(payment, Status.SUCCEEDED, event)
        return _move(payment, Status.PENDING, event)
    if kind == "checkout.session.expired":
        _remember_ids(payment, session_id=obj.get("id"))
        return _move(payment, Status.CANCELED, event)
    if kind == "payment_intent.succeeded":
        _remember_ids(payment, intent_id=obj.get("id"))
        received = obj.get("amount_received", obj.get("amount"))
        if not _amount_matches(payment, received):
            return _mismatch(payment, received)
        return _move(payment, Status.SUCCEEDED, event)
    if kind == "payment_intent.payment_failed":
        _remember_ids(payment, intent_id=obj.get("id"))
        return _move(payment, Status.FAILED, event)
    return _refund(payment, obj, event)


def _remember_ids(payment: StripePayment, *, session_id=None, intent_id=None) -> None:
    if isinstance(session_id, str) and session_id and not payment.checkout_session_id:
        payment.checkout_session_id = session_id
    if isinstance(intent_id, str) and intent_id and not payment.payment_intent_id:
        payment.payment_intent_id = intent_id
    payment.save(update_fields=["checkout_session_id", "payment_intent_id", "updated"])
    if payment.payment_intent_id:
        _apply_waiting(payment)


def _amount_matches(payment: StripePayment, minor) -> bool:
    try:
        return int(minor) == to_minor_units(payment.amount, payment.currency)
    except (TypeError, ValueError):
        return False


def _mismatch(payment: StripePayment, minor) -> str:
    logger.error("Stripe reports %s minor units for payment %s of %s %s; not applied",
                 minor, payment.pk, payment.amount, payment.currency)
    return "amount mismatch"


def _move(payment: StripePayment, target: str, event: dict) -> str:
    if RANK[target] <= RANK[payment.status]:
        return f"kept {payment.status}"
    payment.status = target
    payment.save(update_fields=["status", "updated"])
    applier = appliers.applier_for(payment.purpose)
    callback = None
    if applier and target == Status.SUCCEEDED:
        callback = applier.succeeded
    elif applier and target in (Status.FAILED, Status.CANCELED):
        callback = applier.failed
    if callback:
        callback(payment, event)
    elif applier is None and target == Status.SUCCEEDED:
        logger.error("no applier for payments of purpose %r", payment.purpose)
    return target


def _refund(payment: StripePayment, charge: dict, event: dict) -> str:
    _remember_ids(payment, intent_id=charge.get("payment_intent"))
    if RANK[payment.status] < RANK[Status.SUCCEEDED]:
        # Only a charge that succeeded can be refunded: when the refund arrives first, the
        # success it proves is applied now, and the success event, when it comes, is a no-op.
        _move(payment, Status.SUCCEEDED, event)
    try:
        refunded = from_minor_units(int(charge.get("amount_refunded") or 0), payment.currency)
    except (TypeError, ValueError):
        return "malformed refund"
    if refunded <= payment.amount_refunded:
        return f"kept {payment.status}"
    payment.amount_refunded = min(refunded, payment.amount)
    fully = charge.get("refunded") is True or payment.amount_refunded >= payment.amount
    target = Status.REFUNDED if fully else Status.PARTIALLY_REFUNDED
    if RANK[target] > RANK[payment.status]:
        payment.status = target
    payment.save(update_fields=["amount_refunded", "status", "updated"])
    applier = appliers.applier_for(payment.purpose)
    if applier and applier.refunded:
        applier.refunded(payment, event)
    return payment.status
