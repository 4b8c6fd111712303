"""Oscar's checkout views, paying with Stripe: "Place order" freezes the basket, creates the order
pending payment and sends the shopper to Stripe's page; Stripe's webhook, not the shopper's
return, marks the order paid (store/checkout/stripe_orders.py)."""

import logging

from django import http
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic
from oscar.apps.checkout import views
from oscar.core.loading import get_class, get_model

from core import stripe_gateway
from store.checkout import stripe_orders
from store.checkout.mixins import VoucherLockingMixin
from store.offer.vouchers import VoucherUnavailable

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")
CheckoutSessionData = get_class("checkout.utils", "CheckoutSessionData")

logger = logging.getLogger("oscar.checkout")


def stripe_ready() -> bool:
    """Whether this tenant can take payments (keys or a connected account are set)."""
    return stripe_gateway.configured()


def not_configured_message() -> str:
    return _("Online payment is not set up for this shop yet, so orders cannot be placed "
             "here for now. Nothing was ordered or charged. Please contact us to order.")


class PaymentDetailsView(VoucherLockingMixin, views.PaymentDetailsView):
    template_name = "store/checkout/payment_details.html"
    template_name_preview = "store/checkout/preview.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("stripe_missing", not stripe_ready())
        return ctx

    def generate_order_number(self, basket):
        # Oscar numbers orders after their basket; a basket thawed after a failed payment
        # is checked out again under the next free number.
        base = str(super().generate_order_number(basket))
        number, attempt = base, 1
        while Order.objects.filter(number=number).exists():
            attempt += 1
            number = f"{base}-{attempt}"
        return number

    def submit(self, user, basket, shipping_address, shipping_method, shipping_charge,
               billing_address, order_total, payment_kwargs=None, order_kwargs=None,
               surcharges=None):
        """Place the order pending payment and redirect to Stripe's hosted checkout."""
        from crm_apps.payments.models import StripePayment

        if order_total.incl_tax <= 0:  # nothing to pay: Oscar places it as it is
            return super().submit(user, basket, shipping_address, shipping_method,
                                  shipping_charge, billing_address, order_total,
                                  payment_kwargs, order_kwargs, surcharges)
        if not stripe_ready():
            return self.render_preview(self.request, error=not_configured_message(),
                                       stripe_missing=True)
        order_kwargs = dict(order_kwargs or {})
        order_number = self.generate_order_number(basket)
        self.checkout_session.set_order_number(order_number)
        # Frozen until Stripe's answer: a paid order submits it, a failed payment thaws it.
        self.freeze_basket(basket)
        self.checkout_session.set_submitted_basket(basket)
        try:
            with transaction.atomic():
                order = self.place_order(
                    order_number=order_number, user=user, basket=basket,
                    shipping_address=shipping_address, shipping_method=shipping_method,
                    shipping_charge=shipping_charge, order_total=order_total,
                    billing_address=billing_address, surcharges=surcharges,
                    status=stripe_orders.PENDING_PAYMENT, **order_kwargs)
                payment = StripePayment.objects.create(
                    purpose=stripe_orders.PURPOSE, reference={"order_number": order.number},
                    amount=order.total_incl_tax, currency=order.currency,
                    customer_user=user if user.is_authenticated else None)
        except VoucherUnavailable as refused:  # a voucher used up meanwhile: say which
            self.restore_frozen_basket()
            return self.render_preview(self.request, error=str(refused))
        except Exception:
            logger.exception("Order #%s: could not be placed", order_number)
            self.restore_frozen_basket()
            return self.render_preview(self.request, error=_(
                "A problem occurred while placing this order. Nothing was charged. Please "
                "try again or contact us."))
        self.request.session["checkout_order_id"] = order.id
        try:
            url = stripe_gateway.start_checkout(
                payment, line_items=self.stripe_line_items(order, payment),
                success_url=self.request.build_absolute_uri(reverse("checkout:thank-you")),
                cancel_url=self.request.build_absolute_uri(
                    reverse("checkout:payment-cancelled")),
                customer_email=getattr(user, "email", "") or order.guest_email or "")
        except Exception as error:
            if isinstance(error, stripe_gateway.StripeNotConfigured):
                message = not_configured_message()
            elif isinstance(error, stripe_gateway.StripeUnavailable):
                message = _("Stripe could not be reached, so no payment was started and "
                            "nothing was charged. Please try again in a moment.")
            else:
                logger.exception("Order #%s: Stripe checkout could not start", order.number)
                message = _("The payment could not be started and nothing was charged. "
                            "Please try again or contact us.")
            with transaction.atomic():
                locked = Order.objects.select_for_update().get(pk=order.pk)
                stripe_orders.release_order(locked, _("The Stripe payment could not start."))
            self.restore_frozen_basket()
            return self.render_preview(self.request, error=message)
        logger.info("Order #%s: redirecting to Stripe checkout", order.number)
        return http.HttpResponseRedirect(url)

    def stripe_line_items(self, order, payment) -> list[dict]:
        # One line for the whole order: Stripe charges exactly the order's total, shipping,
        # discounts and tax included.
        return [{"name": _("Order %(number)s") % {"number": order.number},
                 "amount": payment.amount, "quantity": 1}]


class ThankYouView(views.ThankYouView):
    """The page Stripe sends the shopper back to: it shows whether the payment is confirmed
    yet (by the webhook); the return itself confirms nothing."""

    template_name = "store/checkout/thank_you.html"

    def get_object(self, queryset=None):
        order = super().get_object(queryset)
        if (order is not None and not self.request.user.is_superuser
                and order.user_id != self.request.user.pk):
            return None  # a session left over from another shopper on this device
        return order

    def get_context_data(self, *args, **kwargs):
        ctx = super().get_context_data(*args, **kwargs)
        order = ctx["order"]
        paid = order.sources.filter(source_type__name=stripe_orders.SOURCE_NAME).exists()
        ctx.update(awaiting_payment=order.status == stripe_orders.PENDING_PAYMENT,
                   payment_failed=order.status == stripe_orders.PAYMENT_FAILED, paid=paid,
                   order_link=stripe_orders.order_link(order))
        if paid:
            CheckoutSessionData(self.request).flush()
        return ctx


class PaymentCancelledView(generic.TemplateView):
    """Where Stripe sends a shopper who cancels: the pending order is released and its basket
    restored, so they can check out again straight away."""

    template_name = "store/checkout/payment_cancelled.html"

    def get(self, request, *args, **kwargs):
        order = self.checkout_order()
        if order is None:
            messages.info(request, _("There is no payment in progress."))
            return redirect("basket:summary")
        outcome = stripe_orders.cancel_by_shopper(order)
        order.refresh_from_db()
        if outcome in ("cancelled", "failed"):
            self.restore_basket(order)
        return self.render_to_response(self.get_context_data(
            order=order, outcome=outcome, order_link=stripe_orders.order_link(order)))

    def checkout_order(self):
        order_id = self.request.session.get("checkout_order_id")
        if not order_id:
            return None
        return Order.objects.filter(pk=order_id, user_id=self.request.user.pk).first()

    def restore_basket(self, order) -> None:
        """Make the order's thawed basket the shopper's basket again, with anything they put
        in a new basket meanwhile."""
        basket = Basket.objects.filter(pk=order.basket_id, status=Basket.OPEN).first()
        if basket is None:
            return
        current = self.request.basket
        basket.refresh_from_db()
        if basket.status != Basket.OPEN or current.pk == basket.pk:
            return
        if current.pk:
            basket.merge(current)
        basket.strategy = current.strategy
        self.request.basket = basket
