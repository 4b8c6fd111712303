"""Offers kept ready in the cache: Oscar applies them to the basket on every request (its issues
#3063 and #3374: the middleware took most of the page's time), so the site offers, the segment
offers and each shopper's segments are read from the cache under versions that change when
offers, ranges, shop settings or segment memberships change."""

import hashlib
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from oscar.core.loading import get_model

from crm_apps.segments import membership

VERSION_KEY = "offers:version"
# Cached lists live at most this long, so an edit the signals cannot see (raw SQL, a product
# joining a category of a range) shows within minutes.
CACHE_SECONDS = 300
HOLDOUT_BUCKETS = 100


def offers_version() -> str:
    """The version of everything the offer lists are built from."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A random token, not a counter: a version lost from the cache can never come back
        # to a value that still names an old list.
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY) or version
    return version


def bump_offers_version() -> None:
    """Forget every cached offer list; again after the commit, so that a request that read
    the old rows while the change was being written cannot keep them under the new version."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None))


def segments_version() -> str | None:
    """The segments' membership version, or None while the segments app offers none (then
    a shopper's segments are read from the database on each request)."""
    version_of = getattr(membership, "membership_version", None)
    return None if version_of is None else str(version_of())


def in_holdout(offer_id: int, contact_id: int, holdout_percent: int) -> bool:
    """Whether this contact belongs to the offer's hold-out group. A stable hash, not a
    random draw: the same customer stays in or out of the group on every visit and server."""
    digest = hashlib.sha256(f"{offer_id}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % HOLDOUT_BUCKETS < holdout_percent


def personalisation_enabled() -> bool:
    key = f"offers:personalisation:{offers_version()}"
    enabled = cache.get(key)
    if enabled is None:
        ShopSettings = get_model("shop", "ShopSettings")
        enabled = ShopSettings.current().personalisation_enabled
        cache.set(key, enabled, CACHE_SECONDS)
    return enabled


@dataclass(frozen=True)
class Shopper:
    contact_id: int
    segment_ids: frozenset


def shopper_for(user) -> Shopper | None:
    """The signed-in shopper's contact and segments (None: anonymous, or no contact)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    version = segments_version()
    # Under the offers' version too, so a contact linked to the login shows within minutes
    # and at once when offers change.
    key = f"offers:shopper:{user.pk}:{version}:{offers_version()}"
    if version is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached or None  # False: known to have no contact
    Contact = get_model("customers", "Contact")
    contact_id = (Contact.objects.filter(portal_user_id=user.pk, deleted_at__isnull=True)
                  .values_list("pk", flat=True).first())
    shopper = None
    if contact_id is not None:
        shopper = Shopper(contact_id=contact_id,
                          segment_ids=frozenset(membership.segment_ids_for_user(user)))
    if version is not None:
        cache.set(key, shopper or False, CACHE_SECONDS)
    return shopper


def _prepare(offers: list) -> list:
    """Give each offer's condition and benefit their proxy class and their range, with the
    range's products precomputed, so applying them to a basket needs no further query."""
    Product = get_model("catalogue", "Product")
    ranges = {}

    def ready_range(range_):
        if range_ is None or range_.pk in ranges:
            return ranges.get(getattr(range_, "pk", None))
        if not range_.proxy_class:
            if range_.includes_all_products:
                excluded = Product.objects.exclude(pk__in=range_.product_queryset.values("pk"))
                ids = frozenset(excluded.values_list("pk", flat=True))
            else:
                ids = frozenset(range_.product_queryset.values_list("pk", flat=True))
            range_.cached_membership = (range_.includes_all_products, ids)
            range_.invalidate_cached_queryset()  # querysets are not worth pickling
        ranges[range_.pk] = range_
        return range_

    for offer in offers:
        for part in ("condition", "benefit"):
            original = getattr(offer, part)
            range_ = ready_range(original.range)
            proxy = original.proxy()
            proxy.range = range_
            setattr(offer, part, proxy)
    return offers


def _offers_query():
    ConditionalOffer = get_model("offer", "ConditionalOffer")
    return (ConditionalOffer.objects.filter(status=ConditionalOffer.OPEN)
            .select_related("condition__range", "benefit__range", "segment_offer")
            .order_by("-priority", "pk"))


def site_offers() -> list:
    """Open site offers (their dates are checked when they are applied)."""
    key = f"offers:site:{offers_version()}"
    offers = cache.get(key)
    if offers is None:
        ConditionalOffer = get_model("offer", "ConditionalOffer")
        offers = _prepare(list(_offers_query().filter(offer_type=ConditionalOffer.SITE)))
        cache.set(key, offers, CACHE_SECONDS)
    return offers


def segment_offers() -> dict[int, list]:
    """Open user offers attached to a segment, by segment id."""
    key = f"offers:segments:{offers_version()}"
    by_segment = cache.get(key)
    if by_segment is None:
        ConditionalOffer = get_model("offer", "ConditionalOffer")
        offers = _prepare(list(_offers_query().filter(
            offer_type=ConditionalOffer.USER, segment_offer__isnull=False,
            segment_offer__segment__is_active=True)))
        by_segment = {}
        for offer in offers:
            by_segment.setdefault(offer.segment_offer.segment_id, []).append(offer)
        cache.set(key, by_segment, CACHE_SECONDS)
    return by_segment
