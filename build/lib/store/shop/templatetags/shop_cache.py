"""``{% category_version as version %}``: the key part that renews cached category menus
(read once per request)."""

from django import template

from store.shop.category_cache import category_fingerprint

register = template.Library()


@register.simple_tag(takes_context=True)
def category_version(context) -> str:
    request = context.get("request")
    version = getattr(request, "_shop_category_version", None)
    if version is None:
        version = category_fingerprint()
        if request is not None:
            request._shop_category_version = version
    return version
