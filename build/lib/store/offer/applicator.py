"""Oscar's offer applicator, forked: site offers from the cache, and the user offers of the
shopper's segments, except where the shopper is in the offer's hold-out group."""

from django.utils import timezone
from oscar.apps.offer import applicator

from store.offer import cache as offer_cache
from store.offer import vouchers


class Applicator(applicator.Applicator):
    def get_site_offers(self):
        now = timezone.now()
        return [offer for offer in offer_cache.site_offers()
                if offer.is_available(test_date=now)]

    def get_user_offers(self, user):
        """The segment offers this shopper gets: open and in date, for a segment they are
        in, and not held out from them."""
        if user is None or not user.is_authenticated:
            return []
        if not offer_cache.personalisation_enabled():
            return []
        shopper = offer_cache.shopper_for(user)
        if shopper is None or not shopper.segment_ids:
            return []
        now = timezone.now()
        offers, by_segment = [], offer_cache.segment_offers()
        for segment_id in sorted(shopper.segment_ids):
            for offer in by_segment.get(segment_id, ()):
                if offer_cache.in_holdout(offer.pk, shopper.contact_id,
                                          offer.segment_offer.holdout_percent):
                    continue
                if offer.is_available(user=user, test_date=now):
                    offers.append(offer)
        return offers

    def get_basket_offers(self, basket, user):
        # A segment's voucher stops counting once its holder leaves the segment.
        return [offer for offer in super().get_basket_offers(basket, user)
                if vouchers.refusal(offer.get_voucher(), user) is None]
