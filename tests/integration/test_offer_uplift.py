"""The uplift report of a segment offer on a fixed world whose answer is known: four members
get the offer, two are held out; orders of the members since the offer started count (by login
or by the CRM's order link, once each), unpaid and cancelled ones do not."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from core.accounts import create_user
from core.roles import PORTAL_CUSTOMER
from crm_apps.customers.models import Contact
from crm_apps.purchases.models import OrderContact
from crm_apps.segments.models import SegmentMembership
from store.offer.cache import in_holdout
from store.offer.models import SegmentOffer
from store.offer.uplift import offer_uplift
from tests.fixtures.world import PASSWORD, signed_in
from tests.integration.test_segment_offers import make_offer, make_product, make_segment

Order = get_model("order", "Order")
OrderDiscount = get_model("order", "OrderDiscount")
_numbers = itertools.count(1)


def order(*, user=None, contact=None, total, status="Complete", days_ago=1, discount=None,
          offer=None):
    placed = Order.objects.create(
        number=f"U{next(_numbers):06d}", user=user, currency="USD",
        total_incl_tax=Decimal(total), total_excl_tax=Decimal(total),
        shipping_incl_tax=Decimal(0), shipping_excl_tax=Decimal(0), status=status,
        date_placed=timezone.now() - datetime.timedelta(days=days_ago))
    if contact is not None:
        OrderContact.objects.create(order=placed, contact=contact, how="guest_matched")
    if discount is not None:
        OrderDiscount.objects.create(order=placed, offer_id=offer.pk, offer_name=offer.name,
                                     amount=Decimal(discount))
    return placed


@pytest.fixture
def world(in_acme):
    """Offer started 10 days ago, half held out; exactly four members with it, two without."""
    offer = make_offer("Gold deal", [make_product()],
                       start_datetime=timezone.now() - datetime.timedelta(days=10))
    segment = make_segment()
    segment_offer = SegmentOffer.objects.create(offer=offer, segment=segment,
                                                holdout_percent=50)
    treated, held = [], []
    for n in itertools.count():
        portal_user = create_user(email=f"member{n}@acme.example", password=PASSWORD,
                                  role=PORTAL_CUSTOMER)
        contact = Contact.objects.create(first_name="Member", last_name=str(n),
                                         email=portal_user.email, portal_user=portal_user)
        group = held if in_holdout(offer.pk, contact.pk, 50) else treated
        if len(group) < (2 if group is held else 4):
            group.append(contact)
            SegmentMembership.objects.create(segment=segment, contact=contact)
        if len(treated) == 4 and len(held) == 2:
            break
    return {"offer": offer, "segment_offer": segment_offer, "treated": treated, "held": held}


def test_the_report_counts_each_group(world):
    offer, (t0, t1, t2, _t3), (h0, _h1) = world["offer"], world["treated"], world["held"]
    order(user=t0.portal_user, total="100.00", discount="10.00", offer=offer)
    order(user=t0.portal_user, total="50.00")
    order(user=t0.portal_user, total="999.00", days_ago=20)  # before the offer started
    order(contact=t1, total="80.00", discount="8.00", offer=offer)  # a guest order, linked
    order(contact=t1, total="500.00", status="Cancelled")
    order(user=t2.portal_user, contact=t2, total="40.00")  # both ways: counted once
    order(user=h0.portal_user, total="60.00")
    order(user=h0.portal_user, total="70.00", status="Pending payment")
    order(user=h0.portal_user, total="75.00", status="Payment failed")
    order(total="300.00")  # nobody's

    report = offer_uplift(world["segment_offer"])
    assert report["treatment"] == {
        "members": 4, "buyers": 3, "orders": 4, "revenue": Decimal("270.00"),
        "redemptions": 2, "discount": Decimal("18.00"),
        "conversion_rate": Decimal("0.7500"), "revenue_per_member": Decimal("67.50")}
    assert report["holdout"] == {
        "members": 2, "buyers": 1, "orders": 1, "revenue": Decimal("60.00"),
        "redemptions": 0, "discount": Decimal("0.00"),
        "conversion_rate": Decimal("0.5000"), "revenue_per_member": Decimal("30.00")}
    assert report["uplift"] == {
        "conversion_rate": {"absolute": Decimal("0.2500"), "relative": Decimal("0.5000")},
        "revenue_per_member": {"absolute": Decimal("37.50"), "relative": Decimal("1.2500")}}


def test_an_empty_hold_out_group_gives_no_relative_uplift(world):
    report = offer_uplift(world["segment_offer"])
    assert report["treatment"]["conversion_rate"] == Decimal("0")
    assert report["uplift"]["conversion_rate"] == {"absolute": Decimal("0.0000"),
                                                  "relative": None}


def test_the_report_page_and_json(world, acme):
    order(user=world["treated"][0].portal_user, total="100.00", discount="10.00",
          offer=world["offer"])
    order(user=world["held"][0].portal_user, total="60.00")
    admin = signed_in(acme.host, acme.admin_email)
    url = f"/shop/dashboard/segment-offers/{world['segment_offer'].pk}/report/"
    page = admin.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="uplift-report"' in text
    assert "Gold deal" in text
    data = admin.get(url, {"format": "json"}).json()
    assert data["treatment"]["members"] == 4
    assert data["holdout"]["members"] == 2
    assert data["treatment"]["revenue"] == "100.00"
    assert data["uplift"]["revenue_per_member"] == {"absolute": "-5.00",
                                                   "relative": "-0.1667"}
    chinese = admin.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200
