"""Template tags for the shopper's segment offers on the product and basket pages."""

from django import template

from store.offer.applicator import Applicator

register = template.Library()


def _reason(offer) -> str:
    # Offers from the cache carry their segment offer (or None); reading it from the state
    # rather than the attribute costs no query for offers loaded elsewhere (vouchers).
    segment_offer = offer._state.fields_cache.get("segment_offer")
    return segment_offer.reason_text() if segment_offer is not None else ""


@register.simple_tag(takes_context=True)
def personal_offers_for_product(context, product) -> list[dict]:
    """The shopper's segment offers whose range holds ``product``, with their reason."""
    request = context.get("request")
    if request is None or product is None:
        return []
    found = []
    for offer in Applicator().get_user_offers(request.user):
        range_ = offer.benefit.range or offer.condition.range
        if range_ is not None and range_.contains_product(product):
            found.append({"offer": offer, "name": offer.name, "reason": _reason(offer),
                          "description": offer.description})
    return found


@register.simple_tag
def personal_discounts(basket) -> list[dict]:
    """The discounts applied to ``basket`` that come from segment offers, with their reason."""
    if basket is None or not hasattr(basket, "offer_applications"):
        return []
    return [{"name": discount["name"], "amount": discount["discount"],
             "reason": _reason(discount["offer"])}
            for discount in basket.offer_discounts if _reason(discount["offer"])]
