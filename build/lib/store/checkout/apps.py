"""The store's checkout: Oscar's, with Stripe payment, a page for a cancelled payment, guest
checkout and the page where an account holder claims a guest order placed with their e-mail."""

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
        from store.checkout.claim_views import ClaimOrderView

        self.claim_order_view = ClaimOrderView
        from store.checkout.stripe_orders import register_appliers

        register_appliers()

    def get_urls(self):
        return super().get_urls() + self.post_process_urls([
            path("payment-cancelled/", self.payment_cancelled_view.as_view(),
                 name="payment-cancelled"),
            # The "Is this your order?" link e-mailed for a guest order (crm_apps.purchases).
            path("claim/<str:token>/", self.claim_order_view.as_view(), name="claim-order"),
        ])

    def get_url_decorator(self, pattern):
        # Shoppers are portal customers: a signed-out one signs in at the portal, then returns.
        decorator = super().get_url_decorator(pattern)
        if decorator is login_required or pattern.name == "claim-order":
            return login_required(login_url="portal:login")
        return decorator
