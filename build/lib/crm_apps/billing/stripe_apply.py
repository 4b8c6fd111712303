"""What a verified Stripe payment of purpose "invoices" does to our invoices.

Both functions run inside the transaction that stores the Stripe event and holds the
StripePayment's row lock (crm_apps.payments.events), and are safe to call again for the same
payment: a Payment is unique per (invoice, Stripe payment), a Refund per (payment, refund id).
Money no invoice could take (settled by other means, or in another currency, while the customer
was on Stripe's page) is refunded automatically after the commit and kept out of the invoices'
refunds.
"""

import logging
from decimal import Decimal, InvalidOperation

from celery import shared_task
from django.db import transaction
from django.db.models import Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.tasks import TenantTask
from crm_apps.billing import notifications, services
from crm_apps.billing.errors import BillingError
from crm_apps.billing.models import ZERO, Invoice, Payment, Refund
from realtime import kinds

log = logging.getLogger(__name__)

# StripePayment.reference[UNAPPLIED]: {"amount": "165.29", "invoice_ids": [...], "refund_id":
# "re_..." once Stripe took the refund}. Written with the invoices' payments, so a
# charge.refunded event for it, however early, is never spread over them.
UNAPPLIED = "unapplied"
UNAPPLIED_KEY_SUFFIX = "unapplied"
# Stripe unreachable: tried again after 1, 2, 4, 8 and 16 minutes, then left to staff.
REFUND_RETRIES = 5

UNAPPLIED_REFUNDED = kinds.register(
    "invoice.unapplied_refunded", _("Online payments refunded for invoices already settled"),
    audience=kinds.STAFF, email_default=True)


def _field(obj, name, default=None):
    """A field of an event part, whether a plain dict or a Stripe object."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def invoice_ids(stripe_payment) -> list[int]:
    reference = stripe_payment.reference if isinstance(stripe_payment.reference, dict) else {}
    ids = reference.get("invoice_ids") or []
    if not isinstance(ids, list):
        return []
    return [int(pk) for pk in ids if str(pk).isdigit()]


def record_invoice_payments(stripe_payment, event=None) -> list[Payment]:
    """Stripe took the money: each referenced invoice gets a Payment of what it still owed
    (the Stripe amount was their sum when the customer paid). Invoices already settled or in
    another currency are logged and left alone, and what they did not take goes back to the
    customer (``hold_back_unapplied``). Then a receipt and a live notification."""
    recorded, fresh, skipped = [], [], []
    for pk in invoice_ids(stripe_payment):
        invoice = Invoice.objects.filter(pk=pk).first()
        if invoice is None:
            log.error("Stripe payment %s names invoice %s, which is not here",
                      stripe_payment.pk, pk)
            continue
        skipped.append(pk)  # until a payment is recorded on it below
        earlier = Payment.objects.filter(invoice=invoice, stripe_payment=stripe_payment).first()
        if earlier is not None:
            recorded.append(earlier)
            skipped.pop()
            continue
        if invoice.currency != stripe_payment.currency.upper():
            log.error("Stripe payment %s is in %s, invoice %s in %s; not applied",
                      stripe_payment.pk, stripe_payment.currency, pk, invoice.currency)
            continue
        if invoice.open_amount <= 0:
            log.warning("Stripe payment %s arrived for invoice %s, already settled",
                        stripe_payment.pk, pk)
            continue
        try:
            payment = services.record_payment(
                invoice, invoice.open_amount, Payment.Method.STRIPE,
                reference=stripe_payment.payment_intent_id or stripe_payment.checkout_session_id,
                stripe_payment=stripe_payment)
        except BillingError as error:
            log.warning("Stripe payment %s not recorded on invoice %s: %s",
                        stripe_payment.pk, pk, error)
            continue
        recorded.append(payment)
        fresh.append(payment)
        skipped.pop()
    hold_back_unapplied(stripe_payment, skipped)
    if fresh:
        tell_paid([payment.invoice for payment in fresh], payer=stripe_payment.customer_user)
    return recorded


def unapplied_amount(stripe_payment) -> Decimal:
    """What of ``stripe_payment`` no invoice took, and was (or is being) refunded."""
    entry = _unapplied(stripe_payment)
    try:
        return Decimal(str(entry.get("amount") or "0"))
    except InvalidOperation:
        return ZERO


def _unapplied(stripe_payment) -> dict:
    reference = stripe_payment.reference if isinstance(stripe_payment.reference, dict) else {}
    entry = reference.get(UNAPPLIED)
    return entry if isinstance(entry, dict) else {}


def hold_back_unapplied(stripe_payment, skipped: list[int]) -> Decimal:
    """The Stripe amount less what its invoices took is the customer's, not ours: note it on
    the Stripe payment (once) and refund it after the commit. Returns the amount noted."""
    if _unapplied(stripe_payment):
        return ZERO  # decided when the payment was first applied
    applied = (Payment.objects.filter(stripe_payment=stripe_payment)
               .aggregate(sum=Sum("amount"))["sum"] or ZERO)
    rest = stripe_payment.amount - applied
    if rest <= 0:
        return ZERO
    reference = stripe_payment.reference if isinstance(stripe_payment.reference, dict) else {}
    stripe_payment.reference = {**reference, UNAPPLIED: {
        "amount": str(rest), "invoice_ids": skipped, "refund_id": ""}}
    stripe_payment.save(update_fields=["reference", "updated"])
    log.warning("Stripe payment %s: %s %s not applied to any invoice; refunding it",
                stripe_payment.pk, rest, stripe_payment.currency)
    pk = str(stripe_payment.pk)
    # Robust: the event is applied and answered whatever the queue does; the log tells staff.
    transaction.on_commit(lambda: refund_unapplied.delay(pk), robust=True)
    return rest


@shared_task(base=TenantTask, bind=True, max_retries=REFUND_RETRIES,
             name="crm_apps.billing.stripe_apply.refund_unapplied")
def refund_unapplied(self, stripe_payment_pk: str):
    """Refund the unapplied part of a Stripe payment (see ``hold_back_unapplied``); the
    idempotency key is the payment's own, so a retry or a second run is one refund."""
    from core import stripe_gateway

    try:
        return give_back_unapplied(stripe_payment_pk)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeNotConfigured,
            ValueError) as error:
        retryable = isinstance(error, stripe_gateway.StripeUnavailable)
        if not retryable or self.request.retries >= self.max_retries:
            log.error("Stripe payment %s: the unapplied amount was NOT refunded (%s); refund "
                      "it by hand in Stripe", stripe_payment_pk, error)
            return "failed"
        countdown = 60 * 2 ** self.request.retries
        if self.request.is_eager:
            # Run without a broker, apply() runs a returned retry again at once; raised, it
            # would fail the caller instead.
            return self.retry(countdown=countdown, exc=error, throw=False)
        raise self.retry(countdown=countdown, exc=error) from error


def give_back_unapplied(stripe_payment_pk: str) -> str:
    """Ask Stripe for the refund, keep its id and tell the accounts' owners; the refund id
    ("" when there was nothing to refund)."""
    from core import stripe_gateway
    from crm_apps.payments.models import StripePayment

    stripe_payment = StripePayment.objects.filter(pk=stripe_payment_pk).first()
    entry = _unapplied(stripe_payment) if stripe_payment is not None else {}
    if not entry or entry.get("refund_id"):
        return entry.get("refund_id", "")
    amount = unapplied_amount(stripe_payment)
    # Outside any row lock: the webhooks of this payment do not wait on Stripe's answer.
    refund_id = stripe_gateway.refund(stripe_payment, amount, key_suffix=UNAPPLIED_KEY_SUFFIX)
    with transaction.atomic():
        locked = StripePayment.objects.select_for_update().get(pk=stripe_payment.pk)
        entry = _unapplied(locked)
        if entry.get("refund_id"):
            return entry["refund_id"]  # another run got there first and told the owners
        locked.reference = {**locked.reference, UNAPPLIED: {**entry, "refund_id": refund_id}}
        locked.save(update_fields=["reference", "updated"])
        tell_refunded(locked, amount, entry.get("invoice_ids") or invoice_ids(locked))
    return refund_id


def tell_refunded(stripe_payment, amount: Decimal, ids: list[int]) -> None:
    """A live notification to the owner of each account whose invoice could not take the
    money, so nobody waits for a payment that went back."""
    from realtime.services import notify

    invoices = list(Invoice.objects.filter(pk__in=ids).select_related("account__owner")
                    .order_by("pk"))
    numbers = ", ".join(invoice.number for invoice in invoices)
    owners = {}
    for invoice in invoices:
        owner = invoice.account.owner
        if owner is not None and owner.is_active:
            owners.setdefault(owner.pk, (owner, invoice))
    for owner, invoice in owners.values():
        notify([owner], kind=UNAPPLIED_REFUNDED.code,
               title=format_lazy(_("Online payment refunded: invoice {numbers} was already "
                                   "settled"), numbers=numbers),
               body=format_lazy(_("{amount} {currency} paid through Stripe could not be applied "
                                  "and was refunded to the customer automatically."),
                                amount=amount, currency=stripe_payment.currency),
               link=f"/app/billing/{invoice.pk}/")


def record_refund(stripe_payment, event=None) -> list[Refund]:
    """Stripe gave money back: what it reports refunded beyond the Refunds we hold for this
    Stripe payment is recorded, spread over its invoices' payments in order. The refund id is
    Stripe's own when the event lists the refunds; else one derived from the charge and the
    amount refunded so far, which a redelivery repeats. The automatic refund of money no
    invoice took (``hold_back_unapplied``) is not the invoices' and is left out."""
    payments = list(Payment.objects.filter(stripe_payment=stripe_payment).order_by("pk"))
    if not payments:
        return []
    charge = _field(_field(event or {}, "data", {}), "object", {}) or {}
    held = (Refund.objects.filter(payment__in=payments).aggregate(sum=Sum("amount"))["sum"]
            or ZERO)
    reported = Decimal(stripe_payment.amount_refunded or ZERO)
    missing = reported - unapplied_amount(stripe_payment) - held
    if missing <= 0:
        return []
    refund_id = _latest_refund_id(charge, stripe_payment) or (
        f"{_field(charge, 'id', '') or stripe_payment.pk}:{reported}")
    made = []
    for payment in payments:
        if missing <= 0:
            break
        left = payment.refundable
        if left <= 0:
            continue
        piece = min(left, missing)
        made.append(services.refund(payment, piece, stripe_refund_id=refund_id,
                                    reason=str(_("Refunded through Stripe"))))
        missing -= piece
    return made


def _latest_refund_id(charge, stripe_payment) -> str:
    refunds = _field(_field(charge, "refunds", {}) or {}, "data", None) or []
    automatic = _unapplied(stripe_payment).get("refund_id")
    ids = [_field(item, "id") for item in refunds
           if _field(item, "status") != "failed" and _field(item, "id") != automatic]
    known = set(Refund.objects.filter(stripe_refund_id__in=[i for i in ids if i])
                .values_list("stripe_refund_id", flat=True))
    fresh = [i for i in ids if i and i not in known]
    return fresh[0] if fresh else ""


def tell_paid(invoices: list[Invoice], payer=None) -> None:
    """A receipt e-mail to each invoice's contact (after the commit, so a rolled-back event
    sends nothing), and a live notification to the contact's portal login and the account's
    owner. A company portal admin who paid a colleague's invoice (``payer``) gets both too."""
    from crm_apps.quotes.acceptance import portal_user_for
    from realtime.services import notify

    for invoice in invoices:
        invoice = Invoice.objects.select_related("account__owner", "contact").get(pk=invoice.pk)
        title = format_lazy(_("Invoice {number} is paid"), number=invoice.number)
        body = format_lazy(_("{amount} {currency} received online."),
                           amount=invoice.paid_total, currency=invoice.currency)
        customers = {user for user in (portal_user_for(invoice.contact), payer)
                     if user is not None and user.is_active}
        if customers:
            notify(sorted(customers, key=lambda user: user.pk),
                   kind=notifications.RECEIPT.code, title=title, body=body,
                   link="/portal/invoices/")
        owner = invoice.account.owner
        if owner is not None and owner.is_active:
            notify([owner], kind=notifications.PAID.code, title=title, body=body,
                   link=f"/app/billing/{invoice.pk}/")
        also = [payer.email] if payer is not None and payer.email else []
        transaction.on_commit(lambda pk=invoice.pk, also=also: _send_receipt(pk, also))


def _send_receipt(pk: int, also: list[str]) -> None:
    invoice = Invoice.objects.select_related("account", "contact").filter(pk=pk).first()
    if invoice is not None:
        services._send_quietly(invoice, kind="receipt", also=also)
