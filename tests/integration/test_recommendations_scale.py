"""Recommendations at a big shop's size: 50,000 orders of 5,000 products are learned in seconds
(set-based SQL, not a loop over orders), and the result keeps its limits."""

import time
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F
from oscar.core.loading import get_model

from store.recommendations import compute
from store.recommendations.models import BestSeller, ProductPair

Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")

PRODUCTS, ORDERS, THEME = 5_000, 50_000, 30


def fill_shop() -> None:
    kind = ProductClass.objects.get(slug="standard")
    products = Product.objects.bulk_create(
        [Product(title=f"Scale {n}", slug=f"scale-{n}", product_class=kind,
                 structure="standalone", is_public=True) for n in range(PRODUCTS)],
        batch_size=1000)
    partner = Partner.objects.get(code="default")
    StockRecord.objects.bulk_create(
        [StockRecord(product=product, partner=partner, partner_sku=f"S-{product.pk}",
                     price=Decimal("9.90"), price_currency="USD", num_in_stock=100)
         for product in products], batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            "INSERT INTO order_order (number, currency, total_incl_tax, total_excl_tax,"
            " shipping_incl_tax, shipping_excl_tax, shipping_method, shipping_code, status,"
            " guest_email, date_placed, analytics_tracked)"
            " SELECT 'S' || n, 'USD', 10, 10, 0, 0, '', '', 'Complete', '',"
            " now() - (n %% 365) * interval '1 day', false"
            " FROM generate_series(1, %s) AS n", [ORDERS])
        # One to five lines an order, from one of 166 themes of 30 products (shoppers buy
        # what goes together), popular themes far more often (a square of a uniform number).
        cursor.execute(
            "WITH catalogue AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS position"
            "                   FROM catalogue_product WHERE slug LIKE 'scale-%%'),"
            " themed AS (SELECT id, floor(%s * power(random(), 2))::int AS theme"
            "            FROM order_order WHERE number LIKE 'S%%'),"
            " wanted AS (SELECT o.id AS order_id,"
            "                   o.theme * %s + floor(random() * %s)::int AS position"
            "            FROM themed o, generate_series(1, 5) AS k WHERE k <= 1 + (o.id %% 5))"
            " INSERT INTO order_line (order_id, product_id, partner_name, partner_sku,"
            " partner_line_reference, partner_line_notes, title, quantity, line_price_incl_tax,"
            " line_price_excl_tax, line_price_before_discounts_incl_tax,"
            " line_price_before_discounts_excl_tax, status, allocation_cancelled, num_allocated)"
            " SELECT w.order_id, c.id, 'Default', 'S', '', '', 'Scale', 1, 10, 10, 10, 10,"
            " 'Complete', false, 1"
            " FROM wanted w JOIN catalogue c ON c.position = w.position",
            [PRODUCTS // THEME, THEME, THEME])


def test_fifty_thousand_orders_are_learned_in_seconds(in_acme):
    fill_shop()
    started = time.monotonic()
    run = compute.recompute()
    took = time.monotonic() - started
    print(f"recompute: {run.orders} orders, {run.pairs} pairs in {took:.2f} s")  # noqa: T201
    assert run.orders == ORDERS
    assert took < 30  # about 3 s on an idle 2-core machine; headroom for a busy one
    assert run.pairs > 5 * PRODUCTS
    most = ProductPair.objects.values("product").annotate(n=Count("id")).order_by("-n").first()
    assert most["n"] == compute.PAIRS_PER_PRODUCT
    assert not ProductPair.objects.filter(product=F("other")).exists()
    assert BestSeller.objects.count() == compute.BEST_SELLERS_KEPT
