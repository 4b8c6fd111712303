"""Contact figures (lifetime value, orders, last order, RFM) refreshed set-based in SQL.

A contact's sales are the Oscar orders of its portal login plus the orders linked to it in
crm_apps.purchases (guest orders), each counted once, unless pending payment, failed or
cancelled. Lifetime value adds the payments (less refunds) on its invoices not raised from an
order, so an order's invoice is never counted beside the order itself.
"""

from django.db import connection
from oscar.core.loading import get_model

from crm_apps.billing.models import Invoice, Payment, Refund
from crm_apps.customers.models import Contact
from crm_apps.purchases.models import OrderContact
from crm_apps.segments.models import ContactMetrics

# Orders that are not (or not yet) a sale.
NOT_SALES = ("Pending payment", "Payment failed", "Cancelled")

_FIGURES_SQL = """
WITH chosen AS (
    SELECT c.id FROM {contact} c
    WHERE c.deleted_at IS NULL {only}
), contact_orders AS (
    SELECT c.id AS contact_id, o.id AS order_id, o.total_incl_tax, o.date_placed
    FROM chosen c
    JOIN {contact} cc ON cc.id = c.id
    JOIN {order} o ON o.user_id = cc.portal_user_id
    WHERE o.status <> ALL(%(not_sales)s)
    UNION
    SELECT oc.contact_id, o.id, o.total_incl_tax, o.date_placed
    FROM {order_contact} oc
    JOIN chosen c ON c.id = oc.contact_id
    JOIN {order} o ON o.id = oc.order_id
    WHERE o.status <> ALL(%(not_sales)s)
), order_figures AS (
    SELECT contact_id, count(*) AS order_count, sum(total_incl_tax) AS order_total,
           max(date_placed) AS last_order_at
    FROM contact_orders GROUP BY contact_id
), payment_figures AS (
    SELECT i.contact_id, sum(p.amount - coalesce(
               (SELECT sum(r.amount) FROM {refund} r WHERE r.payment_id = p.id), 0)) AS paid
    FROM {invoice} i
    JOIN chosen c ON c.id = i.contact_id
    JOIN {payment} p ON p.invoice_id = i.id
    WHERE i.order_id IS NULL
    GROUP BY i.contact_id
)
INSERT INTO {metrics} AS m (contact_id, lifetime_value, order_count, last_order_at,
                            computed_at)
SELECT c.id, coalesce(f.order_total, 0) + coalesce(p.paid, 0), coalesce(f.order_count, 0),
       f.last_order_at, now()
FROM chosen c
LEFT JOIN order_figures f ON f.contact_id = c.id
LEFT JOIN payment_figures p ON p.contact_id = c.id
ON CONFLICT (contact_id) DO UPDATE SET
    lifetime_value = EXCLUDED.lifetime_value, order_count = EXCLUDED.order_count,
    last_order_at = EXCLUDED.last_order_at, computed_at = EXCLUDED.computed_at
-- Unchanged rows are not rewritten: an hourly run over a quiet tenant writes next to nothing.
WHERE (m.lifetime_value, m.order_count, m.last_order_at)
      IS DISTINCT FROM (EXCLUDED.lifetime_value, EXCLUDED.order_count, EXCLUDED.last_order_at)
"""

# Quintiles among the contacts with a sale; ties broken by id so a run is repeatable.
_RFM_SQL = """
UPDATE {metrics} AS m
SET rfm_r = s.r, rfm_f = s.f, rfm_m = s.m, rfm_total = s.r + s.f + s.m
FROM (
    SELECT m.contact_id,
           ntile(5) OVER (ORDER BY m.last_order_at, m.contact_id) AS r,
           ntile(5) OVER (ORDER BY m.order_count, m.contact_id) AS f,
           ntile(5) OVER (ORDER BY m.lifetime_value, m.contact_id) AS m
    FROM {metrics} m JOIN {contact} c ON c.id = m.contact_id
    WHERE m.order_count > 0 AND c.deleted_at IS NULL
) AS s
WHERE m.contact_id = s.contact_id
  AND (m.rfm_r, m.rfm_f, m.rfm_m) IS DISTINCT FROM (s.r, s.f, s.m)
"""

_NO_RFM_SQL = """
UPDATE {metrics} SET rfm_r = NULL, rfm_f = NULL, rfm_m = NULL, rfm_total = NULL
WHERE order_count = 0 AND rfm_total IS NOT NULL
"""

_DROP_DELETED_SQL = """
DELETE FROM {metrics} m USING {contact} c
WHERE c.id = m.contact_id AND c.deleted_at IS NOT NULL {only}
"""


def _tables() -> dict[str, str]:
    tables = {
        "contact": Contact, "order": get_model("order", "Order"),
        "order_contact": OrderContact, "invoice": Invoice, "payment": Payment,
        "refund": Refund, "metrics": ContactMetrics,
    }
    return {key: connection.ops.quote_name(model._meta.db_table)
            for key, model in tables.items()}


def refresh_metrics(contact_ids=None) -> int:
    """Refresh the figures of every live contact (``contact_ids`` None) or of those contacts,
    then the RFM quintiles of everyone. Returns how many contacts' figures changed (a
    contact measured for the first time included)."""
    tables = _tables()
    params = {"not_sales": list(NOT_SALES), "ids": list(contact_ids or [])}
    only = "" if contact_ids is None else "AND c.id = ANY(%(ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(_DROP_DELETED_SQL.format(**tables, only=only), params)
        cursor.execute(_FIGURES_SQL.format(**tables, only=only), params)
        changed = cursor.rowcount
        cursor.execute(_RFM_SQL.format(**tables))
        cursor.execute(_NO_RFM_SQL.format(**tables))
    return changed
