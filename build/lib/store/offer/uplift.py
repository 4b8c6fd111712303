"""What a segment offer changed: the segment's members split into those who get the offer and
the hold-out group who do not, with the orders, revenue and redemptions of each since the offer
started, and the difference between the two (the uplift)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from oscar.core.loading import get_model

from crm_apps.segments.models import SegmentMembership
from store.offer.cache import in_holdout

# Orders that never became sales do not count.
NOT_SALES = ("Pending payment", "Payment failed", "Cancelled")
ZERO = Decimal("0.00")


@dataclass
class Group:
    members: int = 0
    buyers: set = field(default_factory=set)
    orders: int = 0
    revenue: Decimal = ZERO
    redemptions: int = 0
    discount: Decimal = ZERO

    @property
    def conversion_rate(self) -> Decimal | None:
        if not self.members:
            return None
        return (Decimal(len(self.buyers)) / self.members).quantize(Decimal("0.0001"))

    @property
    def revenue_per_member(self) -> Decimal | None:
        if not self.members:
            return None
        return (self.revenue / self.members).quantize(Decimal("0.01"))

    def as_dict(self) -> dict:
        return {"members": self.members, "buyers": len(self.buyers), "orders": self.orders,
                "revenue": self.revenue, "redemptions": self.redemptions,
                "discount": self.discount, "conversion_rate": self.conversion_rate,
                "revenue_per_member": self.revenue_per_member}


def _difference(treatment, holdout, places: str) -> dict:
    if treatment is None or holdout is None:
        return {"absolute": None, "relative": None}
    absolute = (treatment - holdout).quantize(Decimal(places))
    relative = None if not holdout else (absolute / holdout).quantize(Decimal("0.0001"))
    return {"absolute": absolute, "relative": relative}


def offer_uplift(segment_offer) -> dict:
    """The report of one segment offer, over the segment's current members."""
    Order = get_model("order", "Order")
    OrderDiscount = get_model("order", "OrderDiscount")
    offer = segment_offer.offer
    since = offer.start_datetime or segment_offer.created
    members = list(SegmentMembership.objects.filter(
        segment_id=segment_offer.segment_id, contact__deleted_at__isnull=True).values_list(
        "contact_id", "contact__portal_user_id"))
    treatment, holdout = Group(), Group()
    group_of, contact_of_user = {}, {}
    for contact_id, user_id in members:
        held_out = in_holdout(offer.pk, contact_id, segment_offer.holdout_percent)
        group = holdout if held_out else treatment
        group.members += 1
        group_of[contact_id] = group
        if user_id is not None:
            contact_of_user[user_id] = contact_id

    # An order is the contact's through its login or through the CRM's order link.
    orders = (Order.objects.filter(date_placed__gte=since).exclude(status__in=NOT_SALES)
              .filter(Q(user_id__in=list(contact_of_user))
                      | Q(crm_contact_link__contact_id__in=list(group_of)))
              .values_list("pk", "user_id", "crm_contact_link__contact_id", "total_incl_tax"))
    order_group = {}
    for order_id, user_id, linked_contact, total in orders:
        contact_id = linked_contact if linked_contact in group_of else contact_of_user.get(
            user_id)
        if contact_id is None or order_id in order_group:
            continue
        group = group_of[contact_id]
        order_group[order_id] = group
        group.orders += 1
        group.revenue += total
        group.buyers.add(contact_id)
    for order_id, amount in OrderDiscount.objects.filter(
            offer_id=offer.pk, order_id__in=list(order_group)).values_list("order_id", "amount"):
        group = order_group[order_id]
        group.redemptions += 1
        group.discount += amount

    return {
        "offer": {"id": offer.pk, "name": offer.name, "since": since,
                  "segment": segment_offer.segment.name,
                  "holdout_percent": segment_offer.holdout_percent},
        "treatment": treatment.as_dict(),
        "holdout": holdout.as_dict(),
        "uplift": {
            "conversion_rate": _difference(treatment.conversion_rate, holdout.conversion_rate,
                                           "0.0001"),
            "revenue_per_member": _difference(treatment.revenue_per_member,
                                              holdout.revenue_per_member, "0.01"),
        },
    }
