"""Shop recommendations learned from a fixed order history with known answers: products bought
together (cosine over sales orders, minimum support, never the product itself), best sellers of
the last 90 days (all time when nothing recent), "recommended for you" from a shopper's orders,
linked guest orders and basket, the fallbacks (new shopper, visitor, personalisation off),
products that cannot be bought left out, the job, the pages, query counts and tenant isolation."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_class, get_model

from core.tasks import NoTenantError
from crm_apps.customers.models import Contact
from crm_apps.purchases.models import OrderContact
from store.recommendations import compute, selectors, tasks
from store.recommendations.models import BestSeller, ProductPair, RecommendationRun
from store.shop.models import ShopSettings
from tests.fixtures.world import host_client

Basket = get_model("basket", "Basket")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")
Selector = get_class("partner.strategy", "Selector")

ACME, GLOBEX = "acme.localhost", "globex.localhost"
_numbers = itertools.count(1)


def _tenant(slug):
    from tenants.models import Tenant

    return Tenant.objects.get(slug=slug)


def make_product(title, *, public=True, stock=10, stock_record=True, price="10.00"):
    product = Product.objects.create(
        title=title, product_class=ProductClass.objects.get(slug="standard"),
        structure="standalone", is_public=public)
    if stock_record:
        StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                                   partner_sku=f"SKU-{product.pk}", price=Decimal(price),
                                   price_currency="USD", num_in_stock=stock)
    return product


def make_order(items, *, user=None, status="Complete", days_ago=1):
    """A placed order of ``items``: products, or (product, quantity) pairs."""
    order = Order.objects.create(
        number=f"R{next(_numbers):06d}", user=user, currency="USD",
        total_incl_tax=Decimal("10.00"), total_excl_tax=Decimal("10.00"),
        shipping_incl_tax=Decimal("0"), shipping_excl_tax=Decimal("0"), status=status,
        date_placed=timezone.now() - datetime.timedelta(days=days_ago))
    for item in items:
        product, quantity = item if isinstance(item, tuple) else (item, 1)
        Line.objects.create(order=order, product=product, partner_name="Default",
                            partner_sku=f"SKU-{product.pk}", title=product.title,
                            quantity=quantity, num_allocated=quantity,
                            line_price_incl_tax=Decimal("10.00"),
                            line_price_excl_tax=Decimal("10.00"),
                            line_price_before_discounts_incl_tax=Decimal("10.00"),
                            line_price_before_discounts_excl_tax=Decimal("10.00"))
    return order


@pytest.fixture
def history(in_acme):
    """acme's catalogue and sales. Orders with both (n = orders with the product):
    A 7, B 4, C 5, D 4, E 2; A+B 3, A+C 4, B+D 2, D+E 2, everything else once.
    Hence A: C (4/sqrt 35 = .676), B (3/sqrt 28 = .567); B: A (.567), D (2/sqrt 16 = .5);
    D: E (2/sqrt 8 = .707) before B (.5) although both were bought with D twice.
    Units of the last 90 days: B 8, A 7, C 5, E 4, D 3 (D sold 10 more, 200 days ago)."""
    users = get_user_model().objects
    p = {name: make_product(f"Acme {name}") for name in "ABCDEF"}
    p["X"] = make_product("Acme X hidden", public=False)
    p["Y"] = make_product("Acme Y sold out", stock=0)
    p["Z"] = make_product("Acme Z no stock record", stock_record=False)
    customer = users.get(email="customer@acme.example")
    A, B, C, D, E, X, Y, Z = (p[k] for k in "ABCDEXYZ")  # noqa: N806
    orders = {
        1: make_order([A, B, C]),
        2: make_order([A, (B, 6)]),
        3: make_order([A, B, D]),
        4: make_order([A, C]),
        5: make_order([A, C, X, Y, Z]),
        6: make_order([B, (D, 10)], days_ago=200),
        7: make_order([C, D, E]),
        8: make_order([D, (E, 3)]),  # a guest order, linked to the customer's contact below
        9: make_order([A, X, Y, Z], user=customer),
        13: make_order([A, C]),
    }
    # Not sales: they would make A+E a strong pair and E the best seller if they counted.
    for status in ("Cancelled", "Pending payment", "Payment failed", "Cancelled"):
        make_order([A, (E, 50)], status=status)
    p["orders"] = orders
    p["customer"] = customer
    p["contact"] = Contact.objects.create(first_name="Wei", last_name="Zhang",
                                          email=customer.email, portal_user=customer)
    Contact.objects.create(first_name="Bo", last_name="Other", email="other@acme.example",
                           portal_user=users.get(email="other@acme.example"))
    return p


def pairs_of(product) -> list:
    return [pair.other for pair in ProductPair.objects.filter(product=product)
            .order_by("-score", "-together_count", "other_id").select_related("other")]


def titles(products) -> list[str]:
    return [product.title.removeprefix("Acme ") for product in products]


def shop_request(user=None, basket=None):
    """A request as Oscar's middleware leaves it (user, pricing strategy, basket)."""
    request = RequestFactory().get("/shop/", HTTP_HOST=ACME)
    request.user = user or AnonymousUser()
    request.strategy = Selector().strategy(request=request, user=request.user)
    request.basket = basket or Basket()
    return request


def for_you(user=None, basket=None):
    return selectors.recommended_for(shop_request(user, basket))


def test_pairs_and_best_sellers_have_the_known_answers(history):
    run = compute.recompute()
    p = history
    assert titles(pairs_of(p["A"])) == ["C", "B"]
    assert titles(pairs_of(p["B"])) == ["A", "D"]
    assert titles(pairs_of(p["C"])) == ["A"]
    assert titles(pairs_of(p["D"])) == ["E", "B"]
    assert titles(pairs_of(p["E"])) == ["D"]
    assert titles(pairs_of(p["F"])) == []
    # Pairs of hidden products are learned, but they are never recommended.
    assert titles(pairs_of(p["X"])) == ["A"]
    pair = ProductPair.objects.get(product=p["A"], other=p["C"])
    assert pair.together_count == 4
    assert pair.score == pytest.approx(4 / 35 ** 0.5)
    assert ProductPair.objects.get(product=p["D"], other=p["E"]).score == pytest.approx(
        2 / 8 ** 0.5)
    assert not ProductPair.objects.filter(product=p["A"], other=p["A"]).exists()
    assert not ProductPair.objects.filter(other__in=[p["X"], p["Y"], p["Z"]]).exists()
    assert not ProductPair.objects.filter(product=p["A"], other=p["E"]).exists()

    best = list(BestSeller.objects.select_related("product"))
    assert titles(b.product for b in best) == ["B", "A", "C", "E", "D"]
    assert [b.units for b in best] == [8, 7, 5, 4, 3]
    assert best[0].since == run.computed_at - datetime.timedelta(days=90)
    assert (run.orders, run.pairs, run.best_sellers) == (10, 11, 5)


def test_best_sellers_fall_back_to_all_time_and_min_support_is_a_knob(history):
    Order.objects.update(date_placed=timezone.now() - datetime.timedelta(days=200))
    compute.recompute(min_support=1)
    best = list(BestSeller.objects.select_related("product"))
    assert titles(b.product for b in best) == ["D", "B", "A", "C", "E"]
    assert {b.since for b in best} == {None}
    # With one order enough, A's one order with D counts too (1 / sqrt 28 = .189).
    assert titles(pairs_of(history["A"])) == ["C", "B", "D"]


def test_a_recompute_replaces_the_tables_and_changes_the_token(history):
    first = compute.recompute()
    make_order([history["E"], history["F"]])
    make_order([history["E"], history["F"]])
    second = compute.recompute()
    assert second.token != first.token
    assert RecommendationRun.objects.count() == 1
    assert titles(pairs_of(history["F"])) == ["E"]
    assert ProductPair.objects.filter(product=history["A"]).count() == 2


def test_a_failed_recompute_leaves_the_last_tables_whole(history, monkeypatch):
    first = compute.recompute()
    make_order([history["E"], history["F"]])
    make_order([history["E"], history["F"]])
    # The pairs are already replaced when the best sellers' statement fails.
    monkeypatch.setattr(compute, "BEST_SELLERS_SQL", "SELECT no_such_column FROM {best}")
    with pytest.raises(DatabaseError):
        compute.recompute()
    assert titles(pairs_of(history["F"])) == []
    assert ProductPair.objects.count() == first.pairs
    assert BestSeller.objects.count() == first.best_sellers
    assert RecommendationRun.objects.get().token == first.token


def test_customers_also_bought_leaves_out_what_cannot_be_bought_now(history):
    compute.recompute()
    assert titles(selectors.bought_together(history["A"])) == ["C", "B"]
    # Sold out, hidden or without a price since the last run: gone at once.
    StockRecord.objects.filter(product=history["C"]).update(num_in_stock=3, num_allocated=3)
    assert titles(selectors.bought_together(history["A"])) == ["B"]
    Product.objects.filter(pk=history["B"].pk).update(is_public=False)
    assert titles(selectors.bought_together(history["A"])) == []
    assert titles(selectors.bought_together(history["D"])) == ["E"]


def test_a_product_with_variants_shows_what_its_variants_were_bought_with(history):
    shirt = Product.objects.create(title="Acme shirt", structure="parent", is_public=True,
                                   product_class=ProductClass.objects.get(slug="standard"))
    red, blue = (Product.objects.create(title=f"Acme shirt {colour}", structure="child",
                                        parent=shirt, is_public=True) for colour in "RB")
    for variant in (red, blue):
        StockRecord.objects.create(product=variant, partner=Partner.objects.get(code="default"),
                                   partner_sku=f"SKU-{variant.pk}", price=Decimal("20.00"),
                                   price_currency="USD", num_in_stock=5)
    for items in ([red, history["F"]], [red, history["F"]], [blue, history["E"]],
                  [blue, history["E"], red], [red, history["E"]]):
        make_order(items)
    compute.recompute()
    # Red with F twice (2/sqrt(4*2) = .707) and with E twice (2/sqrt(4*5) = .447), blue with
    # E twice (2/sqrt(2*5) = .632): E adds up to 1.079; red and blue never show each other.
    assert titles(selectors.bought_together(shirt)) == ["E", "F"]
    assert titles(selectors.bought_together(red)) == ["F", "E"]
    assert titles(selectors.bought_together(history["F"])) == ["shirt R"]


def test_recommended_for_you_adds_up_the_shoppers_orders_and_linked_orders(history):
    compute.recompute()
    # Own order 9 (A, X, Y, Z): A's pairs, minus A itself.
    mine = for_you(history["customer"])
    assert (mine.kind, titles(mine.products)) == ("personal", ["C", "B"])
    # Guest order 8 (D, E) linked to the customer's contact: B gains D's pair and leads;
    # D and E, bought, are never recommended.
    OrderContact.objects.create(order=history["orders"][8], contact=history["contact"],
                                how=OrderContact.How.GUEST_MATCHED)
    compute.recompute()  # a new run token: the shopper's cached list is not reused
    mine = for_you(history["customer"])
    assert (mine.kind, titles(mine.products)) == ("personal", ["B", "C"])


def test_matches_that_cannot_be_bought_now_give_way_to_best_sellers(history):
    compute.recompute()
    assert titles(for_you(history["customer"]).products) == ["C", "B"]
    StockRecord.objects.filter(product__in=[history["B"], history["C"]]).update(num_in_stock=0)
    mine = for_you(history["customer"])  # the cached list, checked against the stock again
    # Best sellers B, A, C, E, D without the bought A and the sold-out B and C.
    assert (mine.kind, titles(mine.products)) == ("best_sellers", ["E", "D"])


def test_the_basket_counts_and_a_new_shopper_gets_best_sellers(history):
    compute.recompute()
    newcomer = get_user_model().objects.get(email="other@acme.example")
    fresh = for_you(newcomer)
    assert (fresh.kind, titles(fresh.products)) == ("best_sellers", ["B", "A", "C", "E"])
    basket = Basket.objects.create(owner=newcomer)
    basket.strategy = Selector().strategy(user=newcomer)
    basket.add_product(history["D"], quantity=1)
    with_basket = for_you(newcomer, basket)
    assert (with_basket.kind, titles(with_basket.products)) == ("personal", ["E", "B"])
    # A visitor gets best sellers, minus what is in their basket.
    assert titles(for_you().products) == ["B", "A", "C", "E"]
    visitor_basket = Basket.objects.create()
    visitor_basket.strategy = Selector().strategy()
    visitor_basket.add_product(history["B"], quantity=1)
    visitor = for_you(None, visitor_basket)
    assert (visitor.kind, titles(visitor.products)) == ("best_sellers", ["A", "C", "E", "D"])


def test_personalisation_off_shows_best_sellers_only(history):
    compute.recompute()
    shop = ShopSettings.current()
    shop.personalisation_enabled = False
    shop.save()
    try:
        mine = for_you(history["customer"])
    finally:  # saved again, so no cached copy of the setting outlives the test
        shop.personalisation_enabled = True
        shop.save()
    # Nothing personal: not even the customer's own purchases (A) are left out.
    assert (mine.kind, titles(mine.products)) == ("best_sellers", ["B", "A", "C", "E"])


def test_nothing_learned_yet_shows_nothing(history):
    assert for_you(history["customer"]).products == []
    assert selectors.bought_together(history["A"]) == []


def test_sections_cost_a_few_queries_and_the_personal_list_is_cached(
        history, django_assert_max_num_queries):
    compute.recompute()
    render_to_string("store/recommendations/_for_you.html",
                     {"request": shop_request(history["customer"])})
    token = RecommendationRun.objects.get().token
    personal, __ = cache.get(selectors.for_you_cache_key(token, history["customer"], []))
    assert personal == [history["C"].pk, history["B"].pk]
    # The next page: the run token, the shop settings and the shopper's price-list segments
    # (both read once a request for the prices), the cards' products, stock records and
    # images; the shopper's orders are not read again. django-tenants sends each query after
    # a SET search_path, hence twice the count.
    request = shop_request(history["customer"])
    with django_assert_max_num_queries(2 * 6):
        page = render_to_string("store/recommendations/_for_you.html", {"request": request})
    assert page.count("data-recommended-product=") == 2
    with django_assert_max_num_queries(2 * 3):
        page = render_to_string("store/recommendations/_bought_together.html",
                                {"request": request, "product": history["A"]})
    assert page.count("data-recommended-product=") == 2


def page_queries(client, path: str) -> int:
    client.get(path)  # sessions, caches and the shopper's list warmed
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_section_adds_a_few_queries_to_the_shop_home(history):
    client = portal_shopper(ACME, "customer@acme.example")
    without = page_queries(client, "/shop/catalogue/")  # nothing learned: no section
    compute.recompute()
    with_section = page_queries(client, "/shop/catalogue/")
    assert 'data-recommendations="personal"' in client.get("/shop/catalogue/").content.decode()
    # The cards' products, stock records and images, plus what pricing reads once a request
    # (shop settings, the shopper's segments); each after a SET search_path.
    assert with_section - without <= 2 * 5


def test_the_job_runs_through_its_task_only_inside_a_tenant(history):
    result = tasks.recompute_recommendations.apply().get()
    assert (result["orders"], result["pairs"], result["best_sellers"]) == (10, 11, 5)
    assert titles(selectors.bought_together(history["A"])) == ["C", "B"]
    connection.set_schema_to_public()
    with pytest.raises(NoTenantError):
        tasks.recompute_recommendations.delay()
    entry = settings.CELERY_BEAT_SCHEDULE["recompute-shop-recommendations"]
    assert entry["task"] == tasks.recompute_recommendations.name
    assert "tenant_schemas" not in entry  # fans out to every active tenant


def test_the_management_command_recomputes_one_tenant(history, capsys):
    connection.set_schema_to_public()
    call_command("recompute_recommendations", "--tenant", "acme")
    assert "acme: 10 orders, 11 pairs, 5 best sellers" in capsys.readouterr().out
    with tenant_context(_tenant("acme")):
        assert titles(pairs_of(history["A"])) == ["C", "B"]
    with tenant_context(_tenant("globex")):
        assert not RecommendationRun.objects.exists()
    with pytest.raises(CommandError):
        call_command("recompute_recommendations", "--tenant", "nobody")


def portal_shopper(host, email):
    return host_client(host, email=email, login_path="/portal/login/")


def test_the_pages_show_the_sections(history):
    compute.recompute()
    product = history["A"]
    page = host_client(ACME).get(f"/shop/catalogue/{product.slug}_{product.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Customers also bought" in html
    section = html[html.index('id="customers-also-bought"'):]
    assert section.index(f'data-recommended-product="{history["C"].pk}"') < section.index(
        f'data-recommended-product="{history["B"].pk}"')
    assert "10.00" in section

    client = portal_shopper(ACME, "customer@acme.example")
    home = client.get("/shop/catalogue/")
    assert home.status_code == 200
    assert 'data-recommendations="personal"' in home.content.decode()
    assert "Recommended for you" in home.content.decode()
    assert client.post(f"/shop/basket/add/{history['F'].pk}/",
                       {"quantity": 1}).status_code == 302
    basket = client.get("/shop/basket/")
    assert basket.status_code == 200
    html = basket.content.decode()
    assert html.index('id="recommended-for-you"') > html.index('id="basket_formset"')

    visitor = host_client(ACME).get("/shop/catalogue/").content.decode()
    assert 'data-recommendations="best_sellers"' in visitor
    assert "Best sellers" in visitor
    chinese = host_client(ACME).get("/shop/catalogue/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200
    assert 'data-recommendations="best_sellers"' in chinese.content.decode()


def test_globex_learns_only_from_globex_and_shows_only_globex(history, globex):
    compute.recompute()
    # acme's customer has a cached list now.
    assert for_you(history["customer"]).kind == "personal"
    acme_titles = {product.title for key, product in history.items()
                   if isinstance(product, Product)}
    with tenant_context(globex.tenant):
        gear, bolt = make_product("Globex gear 齿轮"), make_product("Globex bolt")
        # globex's own rows; their ids may well be acme's ids too.
        for __ in range(3):
            make_order([gear, bolt])
        compute.recompute()
        assert [p.title for p in pairs_of(gear)] == ["Globex bolt"]
        assert list(BestSeller.objects.values_list("product__title", flat=True)) == [
            "Globex gear 齿轮", "Globex bolt"]  # a tie in units and orders: the older first
        home = host_client(GLOBEX).get("/shop/catalogue/").content.decode()
        # globex's customer has the same user id as acme's: no cached acme list is served.
        mine = portal_shopper(GLOBEX, "customer@globex.example").get(
            "/shop/catalogue/").content.decode()
        page = host_client(GLOBEX).get(f"/shop/catalogue/{gear.slug}_{gear.pk}/")
        assert page.status_code == 200
        assert "Globex bolt" in page.content.decode()
    assert "Globex gear" in home
    assert "Globex gear" in mine
    for html in (home, mine, page.content.decode()):
        assert not any(title in html for title in acme_titles)
    with tenant_context(_tenant("acme")):
        # acme's answers are exactly what they were: globex's orders changed nothing.
        compute.recompute()
        assert titles(pairs_of(history["A"])) == ["C", "B"]
        assert titles(b.product for b in BestSeller.objects.select_related("product")) == [
            "B", "A", "C", "E", "D"]
