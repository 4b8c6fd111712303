"""Reads of the recommendation tables for pages: "customers also bought" of a product and
"recommended for you" of a shopper (best sellers when nothing personal applies)."""

import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from oscar.core.loading import get_model

from store.recommendations.models import (
    NOT_SALES,
    BestSeller,
    ProductPair,
    RecommendationRun,
)
from store.shop.models import ShopSettings

Line = get_model("order", "Line")
Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

SHOWN = 4  # one row of Oscar's product grid
# Candidates kept per shopper: some may be out of stock by the time a page shows them.
CANDIDATES = 3 * SHOWN
FOR_YOU_CACHE_SECONDS = 5 * 60
PERSONAL, BEST_SELLERS = "personal", "best_sellers"


def recommendable_products():
    """Products a shopper can be sent to: public, with a priced stock record that can be
    bought now (stock left, or a product class that does not track stock)."""
    buyable = StockRecord.objects.filter(product=OuterRef("pk"), price__isnull=False).filter(
        Q(num_in_stock__isnull=True)
        | Q(num_in_stock__gt=Coalesce(F("num_allocated"), 0))
        | Q(product__product_class__track_stock=False)
        | Q(product__parent__product_class__track_stock=False))
    return Product.objects.filter(is_public=True).filter(Exists(buyable))


def _with_card_data(products):
    # Everything a product card reads (title, image, price, availability) in three queries.
    return products.select_related("product_class", "parent__product_class").prefetch_related(
        "stockrecords", "images")


def _in_order(ids: list[int], limit: int) -> list:
    found = {product.pk: product
             for product in _with_card_data(recommendable_products().filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found][:limit]


def bought_together(product, *, limit: int = SHOWN) -> list:
    """Products most often bought in the same orders as ``product``, best first. Orders hold
    the variants of a product with variants, so its page adds up theirs."""
    bought = [product.pk]
    if product.is_parent:
        bought += list(product.children.values_list("pk", flat=True))
    # The filter comes first, so the sums run over these products' pairs only.
    products = (recommendable_products().filter(recommended_with__product__in=bought)
                .exclude(pk__in=bought)
                .annotate(together_score=Sum("recommended_with__score"),
                          together_orders=Sum("recommended_with__together_count"))
                .order_by("-together_score", "-together_orders", "pk"))
    return list(_with_card_data(products)[:limit])


@dataclass
class Recommendations:
    kind: str = BEST_SELLERS
    products: list = field(default_factory=list)


def _current_token() -> str | None:
    return RecommendationRun.objects.values_list("token", flat=True).order_by("pk").first()


def _basket_product_ids(request) -> list[int]:
    basket = getattr(request, "basket", None)
    if basket is None or not getattr(basket, "id", None):
        return []
    # all_lines() is cached on the basket: the mini-basket in the header has loaded it.
    return sorted({line.product_id for line in basket.all_lines() if line.product_id})


def bought_product_ids(user) -> set[int]:
    """Products in the shopper's sales: their own orders and the orders linked to their
    contact (guest orders matched by e-mail or claimed)."""
    theirs = Q(order__user=user) | Q(order__crm_contact_link__contact__portal_user=user)
    return set(Line.objects.filter(theirs, product__isnull=False)
               .exclude(order__status__in=NOT_SALES)
               .values_list("product_id", flat=True).distinct())


def best_seller_ids(token: str) -> list[int]:
    key = f"recommendations:best-sellers:{token}"
    ids = cache.get(key)
    if ids is None:
        ids = list(BestSeller.objects.order_by("rank").values_list("product_id", flat=True))
        cache.set(key, ids, FOR_YOU_CACHE_SECONDS)
    return ids


def personal_candidates(user, basket_ids: list[int], token: str) -> tuple[list[int], list[int]]:
    """What the pairs of the shopper's purchases and basket add up to, and the best sellers,
    both without what they bought or already have in the basket."""
    seeds = bought_product_ids(user) | set(basket_ids)
    personal = []
    if seeds:
        scores = (ProductPair.objects.filter(product_id__in=seeds)
                  .exclude(other_id__in=seeds).values("other_id")
                  .annotate(total=Sum("score")).order_by("-total", "other_id"))
        personal = [row["other_id"] for row in scores[:CANDIDATES]]
    best = [pk for pk in best_seller_ids(token) if pk not in seeds][:CANDIDATES]
    return personal, best


def for_you_cache_key(token, user, basket_ids: list[int]) -> str:
    """Per run, shopper and basket: a new run or a changed basket never reads a stale list."""
    basket = hashlib.blake2s(repr(basket_ids).encode(), digest_size=8).hexdigest()
    return f"recommendations:for-you:{token}:{user.pk}:{basket}"


def recommended_for(request, *, limit: int = SHOWN) -> Recommendations:
    """The "recommended for you" section of the request's shopper."""
    token = _current_token()
    if token is None:  # nothing learned yet
        return Recommendations()
    # The pricing strategy holds the row for the request (the cards' prices read it too).
    shop = getattr(getattr(request, "strategy", None), "shop_settings", None)
    if not (shop or ShopSettings.current()).personalisation_enabled:
        # No personal data at all, not even the basket.
        return Recommendations(BEST_SELLERS, _in_order(best_seller_ids(token), limit))
    basket_ids = _basket_product_ids(request)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        ids = [pk for pk in best_seller_ids(token) if pk not in basket_ids]
        return Recommendations(BEST_SELLERS, _in_order(ids, limit))
    key = for_you_cache_key(token, user, basket_ids)
    cached = cache.get(key)
    if cached is None:
        cached = personal_candidates(user, basket_ids, token)
        cache.set(key, cached, FOR_YOU_CACHE_SECONDS)
    personal, best = cached
    # New shoppers, and shoppers whose matches cannot be bought at the moment: best sellers.
    products = _in_order(personal, limit) if personal else []
    if products:
        return Recommendations(PERSONAL, products)
    return Recommendations(BEST_SELLERS, _in_order(best, limit))
