"""Template tags of the shop's recommendation sections."""

from django import template

from store.recommendations import selectors

register = template.Library()


@register.simple_tag
def customers_also_bought(product, limit=selectors.SHOWN):
    """Products bought in the same orders as ``product``."""
    if product is None or not getattr(product, "pk", None):
        return []
    return selectors.bought_together(product, limit=limit)


@register.simple_tag
def recommended_for_you(request, limit=selectors.SHOWN):
    """The shopper's "recommended for you" (``kind`` "personal") or best sellers."""
    if request is None:
        return selectors.Recommendations()
    return selectors.recommended_for(request, limit=limit)
