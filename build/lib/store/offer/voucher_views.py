"""Oscar's "add a voucher to the basket", with the rules of issued vouchers: a segment's codes
are for its members only, and a code used as often as it may be is refused."""

from django.contrib import messages
from oscar.apps.basket.views import VoucherAddView

from store.offer.vouchers import refusal


class IssuedVoucherAddView(VoucherAddView):
    def apply_voucher_to_basket(self, voucher):
        reason = refusal(voucher, self.request.user)
        if reason is not None:
            messages.error(self.request, reason)
            return
        super().apply_voucher_to_basket(voucher)
