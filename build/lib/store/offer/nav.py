"""The Offers menu entry of the segment offer pages in Oscar's dashboard (imported by the
settings, so it imports nothing at module level)."""


def may_manage_segment_offers(user, url_name, url_args=None, url_kwargs=None) -> bool:
    """Oscar's menu asks this: shown to those the pages let in (store.offer.dashboard)."""
    from store.shop.dashboard_access import may_use_shop_dashboard

    return user.is_authenticated and may_use_shop_dashboard(user)
