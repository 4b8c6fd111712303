"""The tenant's look on the shop's pages: name, brand colour, logo and the way back to its
site and portal. Lazy, so pages that never show it pay nothing."""

from django.utils.functional import SimpleLazyObject

from core.tenancy import is_public_request


def _theme(request) -> dict:
    from crm_apps.customization.models import Branding

    branding = Branding.current()
    return {
        "brand_color": branding.brand_color,
        "text_on_brand": branding.text_on_brand,
        "has_logo": bool(branding.logo),
        "version": int(branding.updated.timestamp()) if branding.updated else 0,
    }


def shop_theme(request):
    if is_public_request(request):
        return {}
    # Listed after Oscar's metadata processor: the shop carries the tenant's name, not the
    # deployment's OSCAR_SHOP_NAME.
    return {"shop_theme": SimpleLazyObject(lambda: _theme(request)),
            "shop_name": request.tenant.name, "shop_tagline": ""}
