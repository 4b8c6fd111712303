"""Vouchers issued to a segment or a campaign, and the checks that keep them to their limits:
a segment's codes for its members only, a cap on uses, and one redemption of a single-use code
however many orders race for it (the voucher row is locked while the order is placed)."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.apps.order.exceptions import UnableToPlaceOrder
from oscar.apps.voucher.utils import get_unused_code
from oscar.core.loading import get_model

from crm_apps.segments.models import SegmentMembership
from store.offer.models import IssuedVoucherSet

MAX_VOUCHERS_PER_ISSUE = 10_000


class VoucherUnavailable(UnableToPlaceOrder):
    """A voucher in the basket can no longer be used: the order is refused, the basket kept."""


@dataclass(frozen=True)
class Audience:
    segment: object = None
    campaign: str = ""

    def default_count(self) -> int:
        if self.segment is not None:
            return SegmentMembership.objects.filter(segment=self.segment).count()
        Lead = get_model("sales", "Lead")
        return Lead.objects.filter(campaign=self.campaign).count()


def issue_vouchers(*, offer, segment=None, campaign: str = "", name: str, count: int | None = None,
                   usage: str, start: datetime.datetime, end: datetime.datetime,
                   max_uses: int | None = None, acting_user=None):
    """Create an Oscar voucher set of ``count`` codes for ``offer`` (by default one per member
    of the segment, or per lead of the campaign), issued to exactly one of the two."""
    VoucherSet = get_model("voucher", "VoucherSet")
    Voucher = get_model("voucher", "Voucher")
    if (segment is None) == (not campaign):
        raise ValueError("Issue vouchers to a segment or to a campaign, not both or neither.")
    if start >= end:
        raise ValueError("A voucher must end after it starts.")
    if VoucherSet.objects.filter(name=name).exists():
        raise ValueError("A voucher set with this name already exists.")
    audience = Audience(segment=segment, campaign=campaign)
    count = audience.default_count() if count is None else count
    if not 1 <= count <= MAX_VOUCHERS_PER_ISSUE:
        raise ValueError(f"Between 1 and {MAX_VOUCHERS_PER_ISSUE} vouchers at a time.")
    with transaction.atomic():
        voucher_set = VoucherSet.objects.create(
            name=name, count=count, description=campaign or str(segment),
            start_datetime=start, end_datetime=end)
        for number in range(1, count + 1):
            voucher = Voucher.objects.create(
                name=f"{name} #{number}"[:128], code=get_unused_code(length=12), usage=usage,
                start_datetime=start, end_datetime=end, voucher_set=voucher_set)
            voucher.offers.add(offer)
        IssuedVoucherSet.objects.create(voucher_set=voucher_set, offer=offer, segment=segment,
                                        campaign=campaign, max_uses=max_uses,
                                        created_by=acting_user)
    return voucher_set


def refusal(voucher, user, *, with_oscar_checks: bool = False) -> str | None:
    """Why ``user`` cannot use ``voucher`` now (None: they can). Oscar's own checks (dates,
    usage) are added when asked; the issue's rules (segment members, uses) always apply."""
    if voucher is None:
        return None
    if with_oscar_checks:
        if not voucher.is_active(timezone.now()):
            return _("The voucher %(code)s is no longer valid.") % {"code": voucher.code}
        available, message = voucher.is_available_to_user(user=user)
        if not available:
            return f"{message} ({voucher.code})"
    if voucher.voucher_set_id is None:
        return None
    issue = IssuedVoucherSet.objects.filter(voucher_set_id=voucher.voucher_set_id).only(
        "segment_id", "max_uses").first()
    if issue is None:
        return None
    if issue.max_uses is not None and voucher.num_orders >= issue.max_uses:
        return _("The voucher %(code)s has been used as often as it may be.") % {
            "code": voucher.code}
    if issue.segment_id is not None and not is_member(user, issue.segment_id):
        return _("The voucher %(code)s is reserved for other customers.") % {
            "code": voucher.code}
    return None


def is_member(user, segment_id: int) -> bool:
    """Whether the signed-in ``user``'s contact is in the segment now (read from the database,
    not the cache: this guards money)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return SegmentMembership.objects.filter(
        segment_id=segment_id, segment__is_active=True, contact__portal_user_id=user.pk,
        contact__deleted_at__isnull=True).exists()


def lock_basket_vouchers(basket, user) -> None:
    """Lock the basket's vouchers and check them again; call inside the transaction that
    places the order. A second order racing for a single-use code waits here until the first
    commits, then sees its use and is refused with VoucherUnavailable."""
    if not basket.id:
        return
    Voucher = get_model("voucher", "Voucher")
    assert transaction.get_connection().in_atomic_block, "lock inside the order's transaction"
    # Ordered by id so two orders holding the same codes lock them in the same order.
    locked = Voucher.objects.select_for_update(of=("self",)).filter(basket=basket).order_by("pk")
    for voucher in locked:
        reason = refusal(voucher, user, with_oscar_checks=True)
        if reason is not None:
            raise VoucherUnavailable(_("%(reason)s Nothing was ordered or charged; your basket "
                                       "is as it was. Remove the voucher to order without it.")
                                     % {"reason": reason})
