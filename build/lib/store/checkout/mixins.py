"""Order placement that locks the basket's vouchers: Oscar checks a voucher before the order
and records its use after, so two orders at once could both redeem a single-use code."""

from django.db import transaction

from store.offer.vouchers import lock_basket_vouchers


class VoucherLockingMixin:
    """For checkout views: the vouchers are locked and checked again in the transaction that
    writes the order, and stay locked until it commits."""

    def place_order(self, order_number, user, basket, *args, **kwargs):
        with transaction.atomic():
            lock_basket_vouchers(basket, user)
            return super().place_order(order_number, user, basket, *args, **kwargs)
