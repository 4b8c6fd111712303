"""Benchmark 11: the shop's product list, product page and basket with 10 active offers, 5,000
products and 50,000 past orders, personalised and with personalisation switched off.

One tenant gets 5,000 public products with stock in 20 categories, 2,000 customers (portal
logins with contacts) and 50,000 past orders of one to four lines, written with bulk inserts.
Ten offers are active: five site offers (a percentage off a range of products) and five offers
restricted to CRM segments, each with a hold-out group. The measured shopper is in the "gold"
segment (not held out) and has three products in the basket. The segments and recommendations
are recomputed by their jobs (timed, reported). A uvicorn server with the project's ASGI
application then answers the pages for that shopper with personalisation on, and again, after a
restart, with it switched off in the shop's settings. Queries per request are counted
in-process with Django's test client.

Import after django.setup(): this module uses the project's models.
"""

import random
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.bench.list_bench import count_queries, in_process_client, ms, time_requests
from tests.bench.overhead_bench import ServerSpec, uvicorn_server
from tests.bench.page_rows import Case, Row
from tests.bench.report import markdown_table, verdict
from tests.bench.websocket_bench import session_keys, unlimited_plan

SLUG = "store-bench"
PRODUCTS = 5_000
CATEGORIES = 20
CUSTOMERS = 2_000
ORDERS = 50_000
SITE_OFFERS = 5
SEGMENT_OFFERS = 5
P95_TARGET = 0.100
COST_TARGET = 0.20  # personalisation may cost at most 20 % of the page's p95
BATCH = 5_000
SALE_STATUSES = ("Complete", "Complete", "Complete", "Shipped", "Being processed")


@dataclass(frozen=True)
class StoreResult:
    rows: list[Row]  # personalised rows first, then the same cases switched off
    build_seconds: float
    job_seconds: dict[str, float]
    requests: int
    facts: dict[str, int]

    def pairs(self) -> list[tuple[Row, Row]]:
        half = len(self.rows) // 2
        return list(zip(self.rows[:half], self.rows[half:], strict=True))

    @staticmethod
    def cost(on: Row, off: Row) -> float:
        return on.percentile(0.95) / off.percentile(0.95) - 1

    @property
    def target_met(self) -> bool:
        return all(row.target_met for row in self.rows) and all(
            self.cost(on, off) < COST_TARGET for on, off in self.pairs())


# --- Data -----------------------------------------------------------------------------------

def build_catalogue(pick: random.Random) -> list:
    from oscar.core.loading import get_model

    Category = get_model("catalogue", "Category")
    Product = get_model("catalogue", "Product")
    ProductCategory = get_model("catalogue", "ProductCategory")
    ProductClass = get_model("catalogue", "ProductClass")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")
    from store.shop.models import ShopSettings

    currency = ShopSettings.current().currency
    product_class = ProductClass.objects.get(slug="standard")
    partner = Partner.objects.get(code="default")
    categories = [Category.add_root(name=f"Category {n} 类别{n}", slug=f"bench-category-{n}")
                  for n in range(CATEGORIES)]
    now = timezone.now()
    products = Product.objects.bulk_create(
        [Product(title=f"Product {n} 商品{n}", slug=f"bench-product-{n}", upc=f"BENCH{n:06d}",
                 structure="standalone", product_class=product_class, is_public=True,
                 description=f"Bench product number {n}. 第{n}号商品。", date_created=now,
                 date_updated=now)
         for n in range(PRODUCTS)], batch_size=BATCH)
    ProductCategory.objects.bulk_create(
        [ProductCategory(product=product, category=categories[n % CATEGORIES])
         for n, product in enumerate(products)], batch_size=BATCH)
    StockRecord.objects.bulk_create(
        [StockRecord(product=product, partner=partner, partner_sku=f"bench-{n}",
                     price_currency=currency,
                     price=Decimal(pick.randrange(500, 50_000)) / 100, num_in_stock=1_000)
         for n, product in enumerate(products)], batch_size=BATCH)
    return products


def build_customers() -> list:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from core.roles import PORTAL_CUSTOMER
    from crm_apps.customers.models import Contact

    users = get_user_model().objects.bulk_create(
        [get_user_model()(email=f"shopper{n}@{SLUG}.example", first_name=f"Shopper {n}",
                          password="!") for n in range(CUSTOMERS)], batch_size=BATCH)
    group = Group.objects.get(name=PORTAL_CUSTOMER)
    group.user_set.add(*users)
    Contact.objects.bulk_create(
        [Contact(first_name=f"Shopper {n}", last_name="王" if n % 2 else "Smith",
                 email=user.email, portal_user=user, lifecycle_stage="customer")
         for n, user in enumerate(users)], batch_size=BATCH)
    return users


def build_orders(pick: random.Random, products: list, users: list, currency: str) -> int:
    """50,000 orders over two years; popular products are bought far more often (a power
    law), and each customer has favourite categories, so co-occurrence has something to
    learn. Returns the number of lines."""
    from oscar.core.loading import get_model

    Order = get_model("order", "Order")
    Line = get_model("order", "Line")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")
    partner = Partner.objects.get(code="default")
    records = dict(StockRecord.objects.values_list("product_id", "id"))
    prices = dict(StockRecord.objects.values_list("product_id", "price"))
    now = timezone.now()
    weights = [1 / (rank + 1) for rank in range(PRODUCTS)]
    order_rows, line_rows = [], []
    for number in range(1, ORDERS + 1):
        user = users[pick.randrange(len(users))]
        chosen = {products[index].pk for index in
                  pick.choices(range(PRODUCTS), weights=weights, k=pick.randint(1, 4))}
        total = sum((prices[pk] for pk in chosen), Decimal("0"))
        order_rows.append(Order(
            number=f"B{number:07d}", user=user, currency=currency, total_incl_tax=total,
            total_excl_tax=total, shipping_incl_tax=0, shipping_excl_tax=0,
            status=pick.choice(SALE_STATUSES),
            date_placed=now - timedelta(minutes=pick.randrange(60, 60 * 24 * 730))))
        line_rows.append(chosen)
    orders = Order.objects.bulk_create(order_rows, batch_size=BATCH)
    lines = [Line(order=order, partner=partner, partner_name="Default", partner_sku=f"bench-{pk}",
                  stockrecord_id=records[pk], product_id=pk, title=f"Product {pk}", quantity=1,
                  line_price_incl_tax=prices[pk], line_price_excl_tax=prices[pk],
                  line_price_before_discounts_incl_tax=prices[pk],
                  line_price_before_discounts_excl_tax=prices[pk],
                  unit_price_incl_tax=prices[pk], unit_price_excl_tax=prices[pk],
                  status="Complete", num_allocated=1)
             for order, chosen in zip(orders, line_rows, strict=True) for pk in sorted(chosen)]
    Line.objects.bulk_create(lines, batch_size=BATCH)
    return len(lines)


def build_offers(products: list, gold) -> None:
    """Five site offers and five segment offers, each 5-15 % off a range of 500 products."""
    from oscar.core.loading import get_model

    Range = get_model("offer", "Range")
    Condition = get_model("offer", "Condition")
    Benefit = get_model("offer", "Benefit")
    ConditionalOffer = get_model("offer", "ConditionalOffer")
    from store.offer.models import SegmentOffer

    for number in range(SITE_OFFERS + SEGMENT_OFFERS):
        personal = number >= SITE_OFFERS
        offer_range = Range.objects.create(name=f"Bench range {number}")
        offer_range.included_products.add(*products[number * 500:(number + 1) * 500])
        condition = Condition.objects.create(range=offer_range, type=Condition.COUNT, value=1)
        benefit = Benefit.objects.create(range=offer_range, type=Benefit.PERCENTAGE,
                                         value=Decimal(5 + number))
        offer = ConditionalOffer.objects.create(
            name=f"Bench offer {number}", condition=condition, benefit=benefit,
            offer_type=ConditionalOffer.USER if personal else ConditionalOffer.SITE,
            exclusive=False, priority=number)
        if personal:
            SegmentOffer.objects.create(offer=offer, segment=gold, holdout_percent=10)


def build_store_data(tenant) -> dict:
    """Catalogue, customers, orders, a "gold" segment and the ten offers (untimed). Returns
    the shopper measured and figures for the report."""
    from crm_apps.segments.models import Segment
    from store.shop.models import ShopSettings

    pick = random.Random(20261130)  # noqa: S311 - test data, not secrets
    tenant.plan = unlimited_plan()
    tenant.save(update_fields=["plan"])
    with tenant_context(tenant):
        products = build_catalogue(pick)
        users = build_customers()
        lines = build_orders(pick, products, users, ShopSettings.current().currency)
        gold = Segment.objects.create(
            name="Gold", customer_label="gold customers", customer_label_zh="金牌客户",
            rules=[{"field": "lifetime_value", "op": "gte", "value": "1000"}])
        build_offers(products, gold)
        with connection.cursor() as cursor:
            for table in ("catalogue_product", "partner_stockrecord", "order_order",
                          "order_line", "customers_contact"):
                cursor.execute(f"VACUUM ANALYZE {table}")  # noqa: S608 - fixed names
        return {"users": users, "products": products, "lines": lines}


def shopper_outside_holdouts(users: list):
    """The first customer in the Gold segment and in no offer's hold-out group: every
    segment offer applies to them."""
    from crm_apps.customers.models import Contact
    from crm_apps.segments.models import SegmentMembership
    from store.offer.cache import in_holdout
    from store.offer.models import SegmentOffer

    offers = list(SegmentOffer.objects.values_list("offer_id", "holdout_percent"))
    members = set(SegmentMembership.objects.filter(segment__name="Gold")
                  .values_list("contact_id", flat=True))
    contacts = dict(Contact.objects.filter(portal_user__in=users)
                    .values_list("portal_user_id", "pk"))
    for user in users:
        contact = contacts.get(user.pk)
        if contact in members and not any(in_holdout(offer, contact, percent)
                                           for offer, percent in offers):
            return user
    raise RuntimeError("no Gold member outside every hold-out group")


def fill_basket(shopper, products: list) -> None:
    from oscar.core.loading import get_class, get_model

    Basket = get_model("basket", "Basket")
    basket = Basket.objects.create(owner=shopper)
    basket.strategy = get_class("partner.strategy", "Selector")().strategy(user=shopper)
    for product in (products[0], products[600], products[2_700]):
        basket.add_product(product, 1)


def recompute(tenant) -> dict[str, float]:
    """The jobs the shop depends on, timed: segment membership and recommendations."""
    from crm_apps.segments.compute import recompute_all
    from store.recommendations.compute import recompute as recompute_recommendations

    timings = {}
    with tenant_context(tenant):
        started = time.perf_counter()
        recompute_all()
        timings["segments"] = time.perf_counter() - started
        started = time.perf_counter()
        recompute_recommendations()
        timings["recommendations"] = time.perf_counter() - started
    return timings


def set_personalisation(tenant, enabled: bool) -> None:
    from store.shop.models import ShopSettings

    with tenant_context(tenant):
        row = ShopSettings.current()
        row.personalisation_enabled = enabled
        row.save()
    connection.set_schema_to_public()


def cases(product) -> list[Case]:
    return [Case("product list (home)", "/shop/catalogue/"),
            Case("product list, page 50", "/shop/catalogue/?page=50"),
            Case("product page", f"/shop/catalogue/{product.slug}_{product.pk}/"),
            Case("basket (3 lines)", "/shop/basket/")]


def measure(env: dict, host: str, key: str, plan: list[Case], label: str, requests: int,
            warmup: int) -> list[Row]:
    client = in_process_client(host, key)
    queries = {case: count_queries(client, case.path)[0] for case in plan}
    connection.set_schema_to_public()
    rows = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-store-") as log_dir:
        spec = ServerSpec("store", "Project settings", "tests.bench.tenant_settings", host)
        with uvicorn_server(spec, env, Path(log_dir)) as server:
            http = server.client
            http.cookies.set(settings.SESSION_COOKIE_NAME, key)
            for case in plan:
                time_requests(http, case.path, warmup)
                row = Row(label, case, time_requests(http, case.path, requests), queries[case],
                          P95_TARGET)
                rows.append(row)
                print(f"  {label:12} {case.label}: p50 {ms(row.percentile(0.5))}, p95 "
                      f"{ms(row.percentile(0.95))}, {row.queries} queries; met "
                      f"{verdict(row.target_met)}", flush=True)
    return rows


def run_store_bench(env: dict, requests: int, warmup: int = 10) -> StoreResult:
    from tests.bench.provisioning_bench import provision_bench_tenant

    started = time.perf_counter()
    tenant = provision_bench_tenant(SLUG, use_spare=False).tenant
    data = build_store_data(tenant)
    build_seconds = time.perf_counter() - started
    print(f"  {PRODUCTS:,} products, {ORDERS:,} orders ({data['lines']:,} lines) written in "
          f"{build_seconds:.1f} s (untimed)", flush=True)
    job_seconds = recompute(tenant)
    print(f"  jobs: {job_seconds}", flush=True)
    with tenant_context(tenant):
        from crm_apps.segments.models import SegmentMembership

        members = SegmentMembership.objects.filter(segment__name="Gold").count()
        shopper = shopper_outside_holdouts(data["users"])
        fill_basket(shopper, data["products"])
    key = session_keys(tenant, [shopper])[0]
    plan = cases(data["products"][1])
    rows = measure(env, tenant.hostname, key, plan, "personalised", requests, warmup)
    set_personalisation(tenant, False)
    rows += measure(env, tenant.hostname, key, plan, "switched off", requests, warmup)
    set_personalisation(tenant, True)
    return StoreResult(rows=rows, build_seconds=build_seconds, job_seconds=job_seconds,
                       requests=requests, facts={"lines": data["lines"], "gold": members})


# --- Report ---------------------------------------------------------------------------------

def store_section(result: StoreResult, run_line: str) -> str:
    table = []
    for on, off in result.pairs():
        cost = result.cost(on, off)
        table.append([on.case.label, ms(on.percentile(0.5)), ms(on.percentile(0.95)),
                      str(on.queries), ms(off.percentile(0.5)), ms(off.percentile(0.95)),
                      str(off.queries), f"{on.percentile(0.95) / off.percentile(0.95):.2f}",
                      f"{cost:+.0%}", verdict(on.target_met and off.target_met
                                              and cost < COST_TARGET)])
    jobs = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.job_seconds.items())
    return f"""## Shop pages with personalised offers

{run_line}

One tenant (`{SLUG}`) with {PRODUCTS:,} public products in {CATEGORIES} categories, each with
stock, {CUSTOMERS:,} customers (portal logins with their contacts) and {ORDERS:,} past orders
({result.facts['lines']:,} lines) over two years, popular products bought far more often.
Written with `bulk_create` and analysed ({result.build_seconds:.0f} s, untimed). Ten offers
are active: {SITE_OFFERS} site offers and {SEGMENT_OFFERS} offers for the "Gold" segment
(lifetime value of 1,000 or more; {result.facts['gold']:,} members, 10 % of each offer held
out), each 5-14 % off a range of 500 products. The jobs ran first: {jobs}.

The shopper measured is a Gold member outside every hold-out group, signed in, with three
products in the basket (each in an offer's range, one of them a Gold offer's). Served by
`uvicorn core.asgi:application --workers 1` (project settings, local-memory cache as without
Redis) on the same host as PostgreSQL; one httpx keep-alive client with the shopper's session
cookie, sequential requests: warm-up, then {result.requests} measured requests per row. Then
the shop's "personalised offers" setting was switched off, the server restarted, and the same
requests measured again. Queries per request were counted in-process (Django test client) on
the first request of a fresh client, before the per-shopper caches are warm (the home page's
"recommended for you" is worked out then); about half of each count is django-tenants'
`SET search_path` before each query.

What the first measurement showed (same data) and what changed: the product lists took p50
90 ms and p95 105-116 ms with personalisation on or off, so the cost lay in the pages
themselves. Each product card rendered Oscar's add-to-basket form field by field and its
thumbnail lookup; Oscar looked classes up through the import system on every call (each
offer's condition and benefit, on every basket request); the pricing strategy looked each
basket line's stock record up again; and both category menus read the tree on every page.
Now the card's image and title are cached per product, language and last change, and its
form is written out (`store/shop/templates/oscar/catalogue/partials/product.html`); the class
loader remembers its answers (`store/class_loading.py`); a line keeps the stock record it was
added with; and the category menus are cached under a fingerprint of the tree
(`store/shop/category_cache.py`), so a change shows at once.

Targets: p95 under {ms(P95_TARGET)}, and personalisation costing under {COST_TARGET:.0%} of
the p95 of the same page switched off.

{markdown_table(["Request", "p50 on", "p95 on", "Queries on", "p50 off", "p95 off",
                 "Queries off", "p95 ratio", "Cost", "Targets met"], table)}

Targets met on every row: {verdict(result.target_met)}.
"""
