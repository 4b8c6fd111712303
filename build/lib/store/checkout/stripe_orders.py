"""Store orders paid with Stripe: what the verified webhook events do to an order (paid, payment
failed, refunded) and what a shopper's cancelled payment does; the browser's return never pays."""

import logging
from functools import partial

from django.db import connection, transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context
from oscar.core.loading import get_class, get_model
from oscar.templatetags.currency_filters import currency

from realtime import kinds
from realtime.services import notify

Order = get_model("order", "Order")
OrderNote = get_model("order", "OrderNote")
PaymentEventType = get_model("order", "PaymentEventType")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Basket = get_model("basket", "Basket")
EventHandler = get_class("order.processing", "EventHandler")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")

logger = logging.getLogger(__name__)

PURPOSE = "store_order"
# Order statuses of this flow (settings.OSCAR_ORDER_STATUS_PIPELINE; labels in
# store/order_statuses.py).
PENDING_PAYMENT = "Pending payment"
PAYMENT_FAILED = "Payment failed"
PAID = "Being processed"
SOURCE_NAME = "Stripe"

# In the app by default: the e-mail receipt is Oscar's order confirmation, sent once paid.
ORDER_PAID = kinds.register("store.order_paid", _("Payments of my store orders"),
                            audience=kinds.CUSTOMERS, email_default=False)


def payment_for(order):
    """The Stripe payment started for ``order`` (the latest, should there be several)."""
    from crm_apps.payments.models import StripePayment

    return (StripePayment.objects.filter(purpose=PURPOSE, reference__order_number=order.number)
            .order_by("-created").first())


def _locked_order(payment):
    number = (payment.reference or {}).get("order_number")
    if not number:
        return None
    return Order.objects.select_for_update().filter(number=str(number)).first()


def _note(order, message) -> None:
    OrderNote.objects.create(order=order, note_type=OrderNote.SYSTEM, message=str(message))


def order_link(order) -> str:
    """The order's page for its shopper: the portal's when the portal shows it them, else the
    shop account's."""
    from portal.policy import orders_for

    if order.user_id and orders_for(order.user).filter(pk=order.pk).exists():
        return reverse("portal:order", args=[order.number])
    return reverse("customer:order", kwargs={"order_number": order.number})


def order_paid(payment, event: dict) -> None:
    """Stripe took the money: record it on the order (once), move the order on, close the
    basket it was made from and tell the shopper. Runs inside the gateway's transaction, with
    the payment row locked."""
    order = _locked_order(payment)
    if order is None:
        logger.warning("Stripe payment %s names no order of this tenant", payment.pk)
        return
    source_type, __ = SourceType.objects.get_or_create(name=SOURCE_NAME)
    reference = str(payment.pk)
    if Source.objects.filter(order=order, source_type=source_type, reference=reference).exists():
        return  # already recorded: a later "succeeded" for the same payment changes nothing
    stripe_reference = payment.payment_intent_id or payment.checkout_session_id
    source = Source.objects.create(
        order=order, source_type=source_type, currency=payment.currency,
        amount_allocated=payment.amount, amount_debited=payment.amount, reference=reference,
        label=stripe_reference[:128])
    source.transactions.create(txn_type="Debit", amount=payment.amount,
                               reference=stripe_reference[:128], status="succeeded")
    event_type, __ = PaymentEventType.objects.get_or_create(name="Paid")
    lines = list(order.lines.all())
    EventHandler().create_payment_event(order, event_type, payment.amount, lines,
                                        [line.quantity for line in lines],
                                        reference=stripe_reference[:128])
    if order.status == PAYMENT_FAILED:
        _allocate_again(lines)  # paid after all (a second card in the same session)
    if PAID in order.available_statuses():
        order.set_status(PAID)
        _note(order, _("Paid with Stripe."))
    else:
        # Staff cancelled it meanwhile: the money is in, so someone must refund or reopen.
        logger.warning("Order %s was paid while %s", order.number, order.status)
        _note(order, format_lazy(_("Paid with Stripe while the order was {status}: refund the "
                                   "payment or reopen the order."), status=order.status))
    basket = order.basket
    if basket is not None and basket.status == Basket.FROZEN:
        basket.submit()
    if order.user_id:
        amount = currency(payment.amount, payment.currency)
        notify([order.user], kind=ORDER_PAID.code,
               title=format_lazy(_("Payment received for order {number}"), number=order.number),
               body=format_lazy(_("{amount} was paid with Stripe. We are preparing your order."),
                                amount=amount),
               link=order_link(order))
        transaction.on_commit(partial(send_confirmation, connection.schema_name, order.pk))


def _allocate_again(lines) -> None:
    """Hold the stock a released order gave back, as Oscar did when it was placed."""
    for line in lines:
        if line.allocation_cancelled and line.stockrecord and line.can_track_allocations:
            line.stockrecord.allocate(line.quantity)
            line.num_allocated, line.allocation_cancelled = line.quantity, False
            line.save(update_fields=["num_allocated", "allocation_cancelled"])


def send_confirmation(schema: str, order_id: int) -> None:
    """Oscar's order confirmation e-mail (lines, totals, status link), sent once the payment is
    committed; the shopper's page said it would come."""
    with schema_context(schema):
        order = Order.objects.select_related("user").filter(pk=order_id).first()
        if order is None or order.user is None:
            return
        context = {"user": order.user, "order": order, "lines": order.lines.all(),
                   "status_path": order_link(order)}
        try:
            OrderDispatcher(logger=logger).send_order_placed_email_for_user(order, context)
        except Exception:  # the payment stands whatever the mail server does
            logger.exception("Order %s: the confirmation e-mail could not be sent",
                             order.number)


def release_order(order, reason) -> bool:
    """The order will not be paid: mark it, give its stock back and thaw the basket it froze so
    the shopper can check out again. ``order`` must be locked; only a pending order changes."""
    if order.status != PENDING_PAYMENT:
        return False
    order.set_status(PAYMENT_FAILED)
    # Lines whose stock record is gone hold nothing (and Oscar would trip over them).
    lines = [line for line in order.lines.all() if line.stockrecord_id]
    if lines:
        EventHandler().cancel_stock_allocations(order, lines, [line.quantity for line in lines])
    _note(order, reason)
    basket = order.basket
    if basket is not None and basket.status == Basket.FROZEN:
        basket.thaw()
    return True


def order_payment_failed(payment, event: dict) -> None:
    """Stripe says the payment failed or its session expired: a pending order is released;
    a paid one is never un-paid."""
    order = _locked_order(payment)
    if order is None:
        logger.warning("Stripe payment %s names no order of this tenant", payment.pk)
        return
    release_order(order, format_lazy(_("Stripe payment did not complete ({what})."),
                                     what=event.get("type", "") if event else ""))


def order_refunded(payment, event: dict) -> None:
    """Stripe refunded (part of) the payment: record what was not yet recorded."""
    order = _locked_order(payment)
    if order is None:
        return
    source = Source.objects.filter(order=order, source_type__name=SOURCE_NAME,
                                   reference=str(payment.pk)).first()
    if source is None:
        return
    new = payment.amount_refunded - source.amount_refunded
    if new <= 0:
        return
    source.refund(new, reference=payment.payment_intent_id[:128], status="refunded")
    event_type, __ = PaymentEventType.objects.get_or_create(name="Refunded")
    EventHandler().create_payment_event(order, event_type, new,
                                        reference=payment.payment_intent_id[:128])
    _note(order, format_lazy(_("Refunded {amount} with Stripe."),
                             amount=currency(new, payment.currency)))


def cancel_by_shopper(order) -> str:
    """The shopper came back from Stripe's page without paying: release a pending order now
    rather than when the session expires, and close the session at Stripe so it cannot be paid
    later. Returns what the order is now: "cancelled" (just released), "failed" (released
    before), "paid" or "other"."""
    from crm_apps.payments.models import StripePayment

    with transaction.atomic():
        payment = payment_for(order)
        if payment is not None:
            # The same lock the webhook takes: a payment being applied finishes first.
            payment = StripePayment.objects.select_for_update().filter(pk=payment.pk).first()
        order = Order.objects.select_for_update().get(pk=order.pk)
        released = release_order(order, _("The shopper cancelled the Stripe payment."))
        if payment is not None and order.status == PAYMENT_FAILED:
            # After the commit: Stripe is not asked while the rows are locked.
            transaction.on_commit(partial(expire_session_quietly, payment))
        if released:
            return "cancelled"
    if order.status == PAYMENT_FAILED:
        return "failed"
    if order.sources.filter(source_type__name=SOURCE_NAME).exists():
        return "paid"
    return "other"


def expire_session_quietly(payment) -> None:
    """Expire the released order's checkout session at Stripe. Should Stripe refuse (it was
    paid meanwhile) or be unreachable, the webhook still decides: a payment that comes in
    pays the order after all (``order_paid``), and an open session expires by itself."""
    from core import stripe_gateway

    if payment.status not in (payment.Status.CREATED, payment.Status.PENDING,
                              payment.Status.FAILED):
        return  # paid (or refunded, or expired already): nothing is left open
    try:
        if not stripe_gateway.expire_checkout(payment):
            logger.info("Order payment %s was completed before it could be expired", payment.pk)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeNotConfigured) as error:
        logger.warning("The checkout session of payment %s was not expired (%s); it expires "
                       "by itself", payment.pk, type(error).__name__)


def register_appliers() -> None:
    from crm_apps.payments import appliers

    appliers.register(PURPOSE, succeeded=order_paid, failed=order_payment_failed,
                      refunded=order_refunded)
