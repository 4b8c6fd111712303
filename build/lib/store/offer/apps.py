"""The forked offer app's configuration: cached offer lists are dropped when what they are
built from changes."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from oscar.apps.offer import apps
from oscar.core.loading import get_model


def _offers_changed(sender, **kwargs):
    from store.offer.cache import bump_offers_version

    bump_offers_version()


class OfferConfig(apps.OfferConfig):
    name = "store.offer"

    def ready(self):
        super().ready()
        watched = [get_model("offer", name) for name in (
            "ConditionalOffer", "Range", "RangeProduct", "Benefit", "Condition",
            "SegmentOffer")]
        # Memberships changed outside a recompute (which bumps the segments' own version).
        watched += [get_model("segments", "SegmentMembership")]
        watched += [get_model("shop", "ShopSettings"), get_model("segments", "Segment"),
                    get_model("catalogue", "Product"), get_model("catalogue", "ProductCategory")]
        for model in watched:
            uid = f"offers-changed-{model._meta.label}"
            post_save.connect(_offers_changed, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(_offers_changed, sender=model, dispatch_uid=f"{uid}-delete")
        Range = get_model("offer", "Range")
        for relation in ("excluded_products", "classes", "included_categories",
                         "excluded_categories", "included_products"):
            m2m_changed.connect(_offers_changed, sender=getattr(Range, relation).through,
                                dispatch_uid=f"offers-changed-range-{relation}")
