"""Learns the recommendation tables from the shop's own orders: products bought in the same
orders (cosine similarity over orders) and best sellers, in a few set-based statements whose
results replace the old rows in one transaction, so pages never see a half-filled table."""

import datetime
import time
import uuid

from django.db import connection, transaction
from django.utils import timezone
from oscar.core.loading import get_model

from store.recommendations.models import (
    NOT_SALES,
    BestSeller,
    ProductPair,
    RecommendationRun,
)
from store.recommendations.selectors import recommendable_products

Line = get_model("order", "Line")
Order = get_model("order", "Order")

# A pair seen in a single order is chance, not a pattern.
MIN_SUPPORT = 2
PAIRS_PER_PRODUCT = 20
BEST_SELLERS_KEPT = 50
BEST_SELLER_WINDOW = datetime.timedelta(days=90)
RUN_ROW = 1  # the marker is one row per tenant schema

PAIRS_SQL = """
WITH recommendable AS ({recommendable}),
sold AS (
    SELECT DISTINCT line.order_id, line.product_id
    FROM {line} line JOIN {order} o ON o.id = line.order_id
    WHERE line.product_id IS NOT NULL AND o.status <> ALL(%s)
),
orders_with AS (SELECT product_id, COUNT(*) AS n FROM sold GROUP BY product_id),
together AS (
    SELECT a.product_id, b.product_id AS other_id, COUNT(*) AS together_count
    FROM sold a JOIN sold b ON b.order_id = a.order_id AND b.product_id <> a.product_id
    WHERE b.product_id IN (SELECT id FROM recommendable)
    GROUP BY a.product_id, b.product_id
    HAVING COUNT(*) >= %s
),
scored AS (
    SELECT t.product_id, t.other_id, t.together_count,
           t.together_count / sqrt(na.n::float8 * nb.n) AS score
    FROM together t
    JOIN orders_with na ON na.product_id = t.product_id
    JOIN orders_with nb ON nb.product_id = t.other_id
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY product_id ORDER BY score DESC, together_count DESC, other_id) AS position
    FROM scored
)
INSERT INTO {pair} (product_id, other_id, score, together_count)
SELECT product_id, other_id, score, together_count FROM ranked WHERE position <= %s
"""

BEST_SELLERS_SQL = """
WITH recommendable AS ({recommendable}),
ranked AS (
    SELECT line.product_id, SUM(line.quantity) AS units,
           row_number() OVER (ORDER BY SUM(line.quantity) DESC,
                                       COUNT(DISTINCT line.order_id) DESC,
                                       line.product_id) AS position
    FROM {line} line JOIN {order} o ON o.id = line.order_id
    WHERE o.status <> ALL(%s)
      AND line.product_id IN (SELECT id FROM recommendable)
      AND (%s::timestamptz IS NULL OR o.date_placed >= %s::timestamptz)
    GROUP BY line.product_id
)
INSERT INTO {best} (product_id, rank, units, since)
SELECT product_id, position, units, %s::timestamptz FROM ranked WHERE position <= %s
"""


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {"line": quote(Line._meta.db_table), "order": quote(Order._meta.db_table),
            "pair": quote(ProductPair._meta.db_table), "best": quote(BestSeller._meta.db_table)}


def _lock_run_row(now) -> RecommendationRun:
    """The marker row, locked: a second recompute of the same tenant waits for the first."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(RecommendationRun._meta.db_table)} "  # noqa: S608 - table name from the model
            "(id, token, computed_at, orders, pairs, best_sellers, seconds) "
            "VALUES (%s, %s, %s, 0, 0, 0, 0) ON CONFLICT (id) DO NOTHING",
            [RUN_ROW, uuid.uuid4(), now])
    return RecommendationRun.objects.select_for_update().get(pk=RUN_ROW)


def recompute(*, min_support: int = MIN_SUPPORT, pairs_per_product: int = PAIRS_PER_PRODUCT,
              best_sellers_kept: int = BEST_SELLERS_KEPT, now=None) -> RecommendationRun:
    """Recompute this tenant's pairs and best sellers from its sales; returns the new marker."""
    started = time.monotonic()
    now = now or timezone.now()
    tables = _tables()
    recommendable, recommendable_params = (
        recommendable_products().values("id").query.sql_with_params())
    with transaction.atomic():
        run = _lock_run_row(now)
        with connection.cursor() as cursor:
            # DELETE, not TRUNCATE: readers keep seeing the old rows until the commit instead
            # of waiting for TRUNCATE's exclusive lock.
            cursor.execute(f"DELETE FROM {tables['pair']}")  # noqa: S608
            cursor.execute(PAIRS_SQL.format(recommendable=recommendable, **tables),
                           [*recommendable_params, list(NOT_SALES), min_support, pairs_per_product])
            pairs = cursor.rowcount
            cursor.execute(f"DELETE FROM {tables['best']}")  # noqa: S608
            best_sellers = 0
            # The last 90 days first; a shop with no recent sales still has best sellers.
            for since in (now - BEST_SELLER_WINDOW, None):
                cursor.execute(BEST_SELLERS_SQL.format(recommendable=recommendable, **tables),
                               [*recommendable_params, list(NOT_SALES), since, since, since,
                                best_sellers_kept])
                best_sellers = cursor.rowcount
                if best_sellers:
                    break
        run.orders = Order.objects.exclude(status__in=NOT_SALES).count()
        run.pairs, run.best_sellers = pairs, best_sellers
        run.token = uuid.uuid4()
        run.computed_at = now
        run.seconds = round(time.monotonic() - started, 3)
        run.save()
    return run
