"""Product search over the database: every word must appear in the title, UPC, SKU or
description (of the product or its variants), anywhere in the text, so "耳机", "headset" and
"heads" all find "Wireless headset 无线耳机". A trigram index keeps title lookups fast
(store/shop/migrations/0003_product_search_index.py)."""

from django.db.models import Case, IntegerField, Q, Value, When
from oscar.core.loading import get_model

Product = get_model("catalogue", "Product")


def _term_filter(term: str) -> Q:
    return (Q(title__icontains=term) | Q(upc__iexact=term) | Q(description__icontains=term)
            | Q(stockrecords__partner_sku__iexact=term) | Q(children__title__icontains=term)
            | Q(children__upc__iexact=term))


def search_products(terms: list[str], *, sort: str = "relevance"):
    products = Product.objects.browsable()
    if not terms:
        return products.none()
    matching = Product.objects.browsable()
    for term in terms:
        matching = matching.filter(_term_filter(term))
    # The joins above repeat a product once per matching variant or stock record.
    products = products.filter(pk__in=matching.values("pk")).base_queryset()
    if sort == "newest":
        return products.order_by("-date_created", "-pk")
    if sort == "title-asc":
        return products.order_by("title", "pk")
    if sort == "title-desc":
        return products.order_by("-title", "-pk")
    title_hits = Q()
    for term in terms:
        title_hits &= Q(title__icontains=term)
    return products.annotate(
        title_match=Case(When(title_hits, then=Value(0)), default=Value(1),
                         output_field=IntegerField()),
    ).order_by("title_match", "title", "pk")
