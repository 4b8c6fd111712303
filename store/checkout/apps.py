"""The store's checkout: Oscar's, with Stripe payment and a page for a cancelled payment."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from oscar.apps.checkout import apps
from oscar.core.loading import get_class


class CheckoutConfig(apps.CheckoutConfig):
    name = "store.checkout"

    # pylint: disable=attribute-defined-outside-init
    def ready(self):
        super().ready()
        self.payment_cancelled_view = get_class("checkout.views", "PaymentCancelledView")
        from store.checkout.stripe_orders import register_appliers

        register_appliers()

    def get_urls(self):
        return super().get_urls() + self.post_process_urls([
            path("payment-cancelled/", self.payment_cancelled_view.as_view(),
                 name="payment-cancelled"),
        ])

    def get_url_decorator(self, pattern):
        # Shoppers are portal customers: a signed-out one signs in at the portal, then returns.
        decorator = super().get_url_decorator(pattern)
        if decorator is login_required:
            return login_required(login_url="portal:login")
        return decorator
