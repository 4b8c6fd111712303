"""Refunds staff give: a payment by hand is refunded in our books; a Stripe payment is refunded
through Stripe first, under an idempotency key of our own payment and refund count, so a
retried request gives the customer their money back once."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from crm_apps.billing import services
from crm_apps.billing.errors import BillingError
from crm_apps.billing.models import Payment, Refund


class StripeRefundError(BillingError):
    """Stripe is not configured, or did not take the refund."""

    status = 503


def refund_payment(payment: Payment, amount, *, reason: str = "", by=None) -> Refund:
    amount = services.as_amount(amount)
    if payment.method != Payment.Method.STRIPE or payment.stripe_payment_id is None:
        return services.refund(payment, amount, reason=reason, by=by)
    from core import stripe_gateway

    with transaction.atomic():
        services._locked(payment.invoice_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if amount > locked.refundable:
            # Checked before Stripe is asked, with the same words as the books would use.
            return services.refund(locked, amount, reason=reason, by=by)
        suffix = f"invoice-payment-{locked.pk}-{locked.refunds.count() + 1}"
        try:
            refund_id = stripe_gateway.refund(locked.stripe_payment, amount, key_suffix=suffix)
        except stripe_gateway.StripeNotConfigured:
            error = StripeRefundError("stripe_not_configured", _(
                "Stripe is not set up for this workspace; the refund was not made."))
            error.status = 409  # a setting to fix, not an outage to wait out
            raise error from None
        except (stripe_gateway.StripeUnavailable, ValueError):
            raise StripeRefundError("stripe_unavailable", _(
                "Stripe did not take the refund; nothing was refunded. Try again later.")) \
                from None
        return services.refund(locked, amount, reason=reason, stripe_refund_id=refund_id, by=by)
