"""Vouchers issued to a segment or a campaign: the codes are made for the offer with their usage,
dates and cap; a segment's codes are refused to non-members when added to the basket and when
the order is placed; a single-use code raced for by several orders at once is redeemed by exactly
one of them, the others refused with a clear message and their basket kept."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from crm_apps.customers.models import Contact
from crm_apps.payments.models import StripeAccountSettings, StripePayment
from crm_apps.sales.models import Lead
from crm_apps.segments.models import SegmentMembership
from store.offer import cache as offer_cache
from store.offer.models import IssuedVoucherSet
from store.offer.vouchers import VoucherUnavailable, issue_vouchers, lock_basket_vouchers
from tenants.models import Tenant
from tests.fixtures.fake_stripe import use_own_keys
from tests.fixtures.world import PASSWORD, host_client, signed_in
from tests.integration.test_segment_offers import (
    contact_for,
    make_offer,
    make_product,
    make_segment,
)

Basket = get_model("basket", "Basket")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Order = get_model("order", "Order")
Voucher = get_model("voucher", "Voucher")
VoucherApplication = get_model("voucher", "VoucherApplication")
VoucherSet = get_model("voucher", "VoucherSet")

ADDRESS = {"first_name": "Wei", "last_name": "Zhang", "line1": "1 Market St",
           "line4": "San Francisco", "state": "CA", "postcode": "94105", "country": "US"}
REFUSED = "Nothing was ordered or charged"


def window(days=30):
    now = timezone.now()
    return {"start": now - datetime.timedelta(hours=1), "end": now + datetime.timedelta(days=days)}


def voucher_offer(product, percent=10):
    return make_offer("Voucher deal", [product], percent=percent,
                      offer_type=ConditionalOffer.VOUCHER)


def users():
    return get_user_model().objects


def portal_shopper(email, host="acme.localhost"):
    return host_client(host, email=email, login_path="/portal/login/")


def reach_preview(client, product, code):
    assert client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1}).status_code == 302
    assert client.post("/shop/basket/vouchers/add/", {"code": code}).status_code == 302
    assert client.post("/shop/checkout/shipping-address/", ADDRESS).status_code == 302
    client.get("/shop/checkout/shipping-method/", follow=True)
    preview = client.get("/shop/checkout/preview/")
    assert preview.status_code == 200, preview.content[:1000]
    return preview


@pytest.fixture
def gold_vouchers(in_acme):
    """Single-use vouchers of 10% off a lamp, issued to the Gold segment (customer@ is in it,
    other@ is not)."""
    lamp = make_product()
    segment = make_segment()
    SegmentMembership.objects.create(segment=segment,
                                     contact=contact_for("customer@acme.example"))
    contact_for("other@acme.example")
    offer = voucher_offer(lamp)
    voucher_set = issue_vouchers(offer=offer, segment=segment, name="Gold thanks",
                                 usage=Voucher.SINGLE_USE, **window())
    return {"lamp": lamp, "segment": segment, "offer": offer, "set": voucher_set,
            "voucher": voucher_set.vouchers.get()}


def test_issuing_to_a_segment_makes_one_code_per_member(gold_vouchers):
    voucher_set, voucher = gold_vouchers["set"], gold_vouchers["voucher"]
    assert voucher_set.count == 1
    assert list(voucher.offers.all()) == [gold_vouchers["offer"]]
    assert voucher.usage == Voucher.SINGLE_USE
    assert voucher_set.end_datetime > timezone.now()
    issue = IssuedVoucherSet.objects.get(voucher_set=voucher_set)
    assert (issue.segment, issue.campaign) == (gold_vouchers["segment"], "")


def test_issuing_to_a_campaign_makes_one_code_per_lead(in_acme):
    for n in range(3):
        Lead.objects.create(first_name=f"Lead {n}", campaign="Spring fair 2026")
    Lead.objects.create(first_name="Elsewhere", campaign="Other")
    voucher_set = issue_vouchers(
        offer=voucher_offer(make_product()), campaign="Spring fair 2026", name="Spring",
        usage=Voucher.ONCE_PER_CUSTOMER, max_uses=5, **window())
    assert voucher_set.vouchers.count() == 3
    assert {v.usage for v in voucher_set.vouchers.all()} == {Voucher.ONCE_PER_CUSTOMER}
    assert IssuedVoucherSet.objects.get(voucher_set=voucher_set).max_uses == 5


def test_issue_refuses_both_or_neither_audience_and_bad_dates(in_acme):
    offer, segment = voucher_offer(make_product()), make_segment()
    for kwargs in ({}, {"segment": segment, "campaign": "X"}):
        with pytest.raises(ValueError, match="segment or to a campaign"):
            issue_vouchers(offer=offer, name="Bad", usage=Voucher.SINGLE_USE, count=1,
                           **window(), **kwargs)
    with pytest.raises(ValueError, match="end after"):
        issue_vouchers(offer=offer, name="Bad", usage=Voucher.SINGLE_USE, count=1,
                       segment=segment, start=window()["end"], end=window()["start"])
    with pytest.raises(ValueError, match="Between"):  # a segment without members
        issue_vouchers(offer=offer, name="Bad", usage=Voucher.SINGLE_USE, segment=segment,
                       **window())
    assert VoucherSet.objects.count() == 0


def test_the_command_issues_to_a_campaign_and_refuses_bad_input(in_acme):
    offer = voucher_offer(make_product())
    Lead.objects.create(first_name="Lead", campaign="Fair")
    out = io.StringIO()
    call_command("issue_vouchers", offer=offer.pk, campaign="Fair", name="Fair codes",
                 max_uses=1, stdout=out)
    assert "Codes issued in set" in out.getvalue()
    assert out.getvalue().strip().endswith(": 1.")
    issue = IssuedVoucherSet.objects.get()
    assert (issue.campaign, issue.max_uses, issue.voucher_set.count) == ("Fair", 1, 1)
    for bad in ({"offer": 999999, "campaign": "Fair"}, {"offer": offer.pk},
                {"offer": offer.pk, "segment": 999999},
                {"offer": offer.pk, "campaign": "Fair", "days": 0},
                {"offer": offer.pk, "campaign": "Fair"}):  # the name is taken now
        with pytest.raises(CommandError):
            call_command("issue_vouchers", name="Fair codes", **bad)
    assert VoucherSet.objects.count() == 1


def test_only_members_can_add_a_segment_voucher(gold_vouchers):
    code = gold_vouchers["voucher"].code
    other = portal_shopper("other@acme.example")
    other.post(f"/shop/basket/add/{gold_vouchers['lamp'].pk}/", {"quantity": 1})
    response = other.post("/shop/basket/vouchers/add/", {"code": code}, follow=True)
    assert "reserved for other customers" in response.content.decode()
    assert response.context["basket"].vouchers.count() == 0
    assert response.context["basket"].total_discount == Decimal("0.00")

    member = portal_shopper("customer@acme.example")
    member.post(f"/shop/basket/add/{gold_vouchers['lamp'].pk}/", {"quantity": 1})
    response = member.post("/shop/basket/vouchers/add/", {"code": code}, follow=True)
    assert response.context["basket"].vouchers.count() == 1
    assert response.context["basket"].total_discount == Decimal("5.00")

    anonymous = host_client("acme.localhost")
    anonymous.post(f"/shop/basket/add/{gold_vouchers['lamp'].pk}/", {"quantity": 1})
    response = anonymous.post("/shop/basket/vouchers/add/", {"code": code}, follow=True)
    assert response.context["basket"].vouchers.count() == 0


def test_a_member_who_left_the_segment_is_refused_at_order_placement(gold_vouchers):
    member = users().get(email="customer@acme.example")
    basket = Basket.objects.create(owner=member)
    basket.vouchers.add(gold_vouchers["voucher"])
    with transaction.atomic():
        lock_basket_vouchers(basket, member)  # a member: allowed
    SegmentMembership.objects.filter(segment=gold_vouchers["segment"]).delete()
    with pytest.raises(VoucherUnavailable, match="reserved for other customers"), \
            transaction.atomic():
        lock_basket_vouchers(basket, member)


def test_a_code_used_as_often_as_allowed_is_refused(in_acme):
    voucher_set = issue_vouchers(offer=voucher_offer(make_product()), campaign="Fair",
                                 name="Fair", count=1, usage=Voucher.MULTI_USE, max_uses=2,
                                 **window())
    voucher = voucher_set.vouchers.get()
    Voucher.objects.filter(pk=voucher.pk).update(num_orders=2)
    client = portal_shopper("customer@acme.example")
    response = client.post("/shop/basket/vouchers/add/", {"code": voucher.code}, follow=True)
    assert "used as often as it may be" in response.content.decode()
    basket = Basket.objects.create(owner=users().get(email="customer@acme.example"))
    basket.vouchers.add(voucher)
    with pytest.raises(VoucherUnavailable), transaction.atomic():
        lock_basket_vouchers(basket, basket.owner)


def test_a_second_order_with_a_spent_code_is_refused_clearly(gold_vouchers, fake_stripe):
    """Sequential version of the race: the code is used by a first order (pending payment),
    the second checkout with it is refused with the reason and keeps its basket."""
    use_own_keys()
    SegmentMembership.objects.create(segment=gold_vouchers["segment"],
                                     contact=Contact.objects.get(email="other@acme.example"))
    code, lamp = gold_vouchers["voucher"].code, gold_vouchers["lamp"]
    first, second = (portal_shopper("customer@acme.example"),
                     portal_shopper("other@acme.example"))
    reach_preview(first, lamp, code)
    reach_preview(second, lamp, code)
    assert first.post("/shop/checkout/preview/", {"action": "place_order"}).status_code == 302
    response = second.post("/shop/checkout/preview/", {"action": "place_order"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "already been used" in text
    assert REFUSED in text
    assert Order.objects.count() == 1
    assert VoucherApplication.objects.count() == 1
    basket = Basket.objects.get(owner__email="other@acme.example", status=Basket.OPEN)
    assert basket.num_items == 1


def test_staff_issue_vouchers_from_the_dashboard(in_acme):
    offer, segment = voucher_offer(make_product()), make_segment()
    SegmentMembership.objects.create(segment=segment,
                                     contact=contact_for("customer@acme.example"))
    admin = signed_in(in_acme.host, in_acme.admin_email)
    assert admin.get("/shop/dashboard/segment-offers/vouchers/issue/").status_code == 200
    times = window()
    payload = {"name": "Gold", "offer": offer.pk, "segment": segment.pk, "campaign": "",
               "count": "", "usage": Voucher.SINGLE_USE, "max_uses": "",
               "start": times["start"].strftime("%Y-%m-%d %H:%M"),
               "end": times["end"].strftime("%Y-%m-%d %H:%M")}
    response = admin.post("/shop/dashboard/segment-offers/vouchers/issue/", payload)
    assert response.status_code == 302, response.content[:2000]
    assert VoucherSet.objects.get(name="Gold").vouchers.count() == 1
    # The same name again, both audiences, end before start, a segment and no members.
    for changes in ({}, {"name": "B", "campaign": "Fair"},
                    {"name": "C", "end": payload["start"], "start": payload["end"]},
                    {"name": "D", "segment": make_segment("Empty").pk}):
        response = admin.post("/shop/dashboard/segment-offers/vouchers/issue/",
                              {**payload, **changes})
        assert response.status_code == 400, changes
    assert VoucherSet.objects.count() == 1


# --- the race, against a committed database ---

RACERS = ["customer@acme.example", "other@acme.example", "rep@acme.example",
          "admin@acme.example"]


@pytest.fixture
def committed_race(committed, fake_stripe):
    """A lamp, a campaign's single-use code and Stripe keys in acme, committed so that each
    thread's connection sees them; everything made for the race is removed afterwards."""
    acme = Tenant.objects.get(slug="acme")
    started = timezone.now()
    try:
        with tenant_context(acme):
            use_own_keys()
            lamp = make_product("Race lamp")
            voucher_set = issue_vouchers(offer=voucher_offer(lamp), campaign="Race",
                                         name="Race", count=1, usage=Voucher.SINGLE_USE,
                                         **window())
            code = voucher_set.vouchers.get().code
        yield {"tenant": acme, "lamp": lamp, "code": code}
    finally:
        with tenant_context(acme):
            remove_race_rows(started)


def remove_race_rows(started) -> None:
    """Everything the race made in acme (the world's users stay)."""
    racers = users().filter(email__in=RACERS)
    orders = Order.objects.filter(date_placed__gte=started)
    addresses = [(o.shipping_address, o.billing_address) for o in orders]
    orders.delete()
    for pair in addresses:
        for address in pair:
            if address is not None:
                address.delete()
    Basket.objects.filter(owner__in=racers).delete()
    get_model("address", "UserAddress").objects.filter(user__in=racers).delete()
    StripePayment.objects.all().delete()
    StripeAccountSettings.objects.all().delete()
    VoucherSet.objects.filter(name="Race").delete()
    ConditionalOffer.objects.filter(name="Voucher deal").delete()
    for model in (get_model("offer", "Condition"), get_model("offer", "Benefit")):
        model.objects.filter(range__name="Range of Voucher deal").delete()
    get_model("offer", "Range").objects.filter(name="Range of Voucher deal").delete()
    get_model("catalogue", "Product").objects.filter(title="Race lamp").delete()
    cache.delete(offer_cache.VERSION_KEY)


def test_exactly_one_of_four_simultaneous_orders_redeems_a_single_use_code(committed_race):
    race = committed_race
    clients = []
    with tenant_context(race["tenant"]):
        for email in RACERS:
            client = Client(HTTP_HOST="acme.localhost")
            client.login(username=email, password=PASSWORD)
            reach_preview(client, race["lamp"], race["code"])
            clients.append(client)
    barrier = threading.Barrier(len(clients))
    answers, failures = [], []

    def place(client):
        try:
            barrier.wait(timeout=20)
            response = client.post("/shop/checkout/preview/", {"action": "place_order"})
            answers.append((response.status_code, response.content.decode()))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert failures == []
    assert sorted(code for code, _ in answers) == [200, 200, 200, 302]
    refused = [text for code, text in answers if code == 200]
    assert all("already been used" in text and REFUSED in text for text in refused)
    with tenant_context(race["tenant"]):
        assert VoucherApplication.objects.filter(voucher__code=race["code"]).count() == 1
        assert Voucher.objects.get(code=race["code"]).num_orders == 1
        assert Order.objects.filter(basket__lines__product=race["lamp"]).distinct().count() == 1
        # The refused shoppers keep their lamp in an open basket.
        open_baskets = Basket.objects.filter(status=Basket.OPEN, lines__product=race["lamp"])
        assert open_baskets.distinct().count() == 3
