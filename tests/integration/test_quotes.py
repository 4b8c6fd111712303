"""Quotes, staff side: totals in Decimal, lines from the catalogue, versions, drafts only
editable, validation, visibility by role, tenant isolation, expiry, timeline, bin and the API's
send and PDF actions."""

import datetime
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from core.zones import tenant_zone_active
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.quotes import services, tasks
from crm_apps.quotes.models import Quote
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import admin_token, host_client, post, signed_in

DAY = datetime.timedelta(days=1)
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")


def tenant_today() -> datetime.date:
    with tenant_zone_active():
        return timezone.localdate()


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


def put(client, path, payload):
    return client.put(path, json.dumps(payload), content_type="application/json")


def make_product(title, sku, price):
    """A product in the shop's catalogue, priced in the shop's one currency."""
    product = Product.objects.create(title=title, product_class=ProductClass.objects.get(
        slug="standard"), structure="standalone", is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=sku, price=price, num_in_stock=10)
    return product


def shop_in(currency: str) -> None:
    from store.shop.models import ShopSettings

    shop = ShopSettings.current()
    shop.currency = currency
    shop.save()


@pytest.fixture
def org(in_acme):
    """rep (team North, led by a manager) and rep2 (team South), an account each, a product."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    shop_in("CNY")  # the shop prices in yuan, like the quotes
    mine = Account.objects.create(name="Rep's own", owner=rep)
    theirs = Account.objects.create(name="South's", owner=rep2, team=south)
    buyer = Contact.objects.create(first_name="Wei", last_name="Zhang", account=mine,
                                   email="wei@example.com", owner=rep)
    widget = make_product("Widget 小部件", "W-1", Decimal("19.99"))
    return {"rep": rep, "rep2": rep2, "manager": manager, "mine": mine, "theirs": theirs,
            "south": south, "buyer": buyer, "widget": widget}


def quote(org, *, owner="rep", account="mine", lines=(), **fields):
    return services.create_quote(acting_user=org[owner], account=org[account],
                                 owner=org[owner], title=fields.pop("title", "Offer"),
                                 lines=lines, **fields)


FREE_LINE = {"description": "Installation 安装", "quantity": Decimal("1"),
             "unit_price": Decimal("100.00"), "tax_rate": Decimal("13")}


def test_totals_with_line_and_quote_discounts_and_tax_to_the_cent(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/quotes/", {
        "title": "Widgets", "account": org["mine"].pk, "discount_percent": "5",
        "lines": [
            {"product": org["widget"].pk, "quantity": "3", "discount_percent": "10",
             "tax_rate": "13"},
            {"description": "Installation", "quantity": "1", "unit_price": "100.00",
             "tax_rate": "13"}]})
    assert response.status_code == 201, response.content
    body = response.json()
    # By hand: 3 × 19.99 = 59.97; less 10% = 53.973; less 5% = 51.27435 → 51.27 net,
    # 13% tax 6.6651 → 6.67. Free line: 100.00 less 5% = 95.00 net, tax 12.35.
    assert [(line["net_amount"], line["tax_amount"], line["total_amount"])
            for line in body["lines"]] == [("51.27", "6.67", "57.94"),
                                           ("95.00", "12.35", "107.35")]
    assert (body["subtotal"], body["discount_total"], body["tax_total"], body["total"]) == (
        "159.97", "13.70", "19.02", "165.29")
    stored = Quote.objects.get(pk=body["id"])
    assert stored.total == Decimal("165.29")
    assert isinstance(stored.total, Decimal)
    assert body["status"] == "draft"
    assert body["number"].startswith("Q-")
    assert body["owner"] == org["rep"].pk  # the creator owns it


def test_a_product_line_takes_the_catalogue_title_sku_and_price(in_acme, org):
    draft = quote(org)
    line = services.add_line(draft, product=org["widget"], quantity=Decimal("2"))
    assert (line.description, line.sku, line.unit_price) == ("Widget 小部件", "W-1",
                                                             Decimal("19.99"))
    assert line.total_amount == Decimal("39.98")
    overridden = services.add_line(draft, product=org["widget"], unit_price=Decimal("15.00"),
                                   description="Widget, our price")
    assert (overridden.unit_price, overridden.sku) == (Decimal("15.00"), "W-1")
    draft.refresh_from_db()
    assert draft.total == Decimal("54.98")
    # The price read through the store's pricing strategy, not a copy of it.
    StockRecord.objects.filter(product=org["widget"]).update(price=Decimal("21.50"))
    assert services.catalogue_price(org["widget"]).price == Decimal("21.50")


def test_a_catalogue_price_in_another_currency_or_none_needs_a_unit_price(in_acme, org):
    headset = make_product("Headset", "H-1", Decimal("89.00"))  # in the shop's yuan
    unpriced = Product.objects.create(title="Bespoke", product_class=ProductClass.objects.get(
        slug="standard"), structure="standalone")
    client = signed_in(in_acme.host, "rep@acme.example")
    for product in (headset, unpriced):
        refused = post(client, "/api/v1/quotes/", {
            "title": "X", "account": org["mine"].pk, "currency": "USD",
            "lines": [{"product": product.pk}]})
        assert refused.status_code == 400, refused.content
        assert "unit_price" in refused.json()["lines"][0]
    given = post(client, "/api/v1/quotes/", {
        "title": "X", "account": org["mine"].pk, "currency": "USD",
        "lines": [{"product": headset.pk, "unit_price": "12.50"}]})
    assert given.status_code == 201, given.content
    assert given.json()["lines"][0]["sku"] == "H-1"
    in_yuan = post(client, "/api/v1/quotes/", {
        "title": "X", "account": org["mine"].pk, "currency": "cny",
        "lines": [{"product": headset.pk}]})
    assert in_yuan.status_code == 201, in_yuan.content
    assert in_yuan.json()["total"] == "89.00"


def test_a_quote_made_from_an_opportunity_takes_its_account_contact_currency_and_owner(
        in_acme, org):
    pipeline = Pipeline.objects.create(name="Deals", currency="USD")
    stage = Stage.objects.create(pipeline=pipeline, name="Proposal", probability=50)
    deal = Opportunity.objects.create(name="Big deal", pipeline=pipeline, stage=stage,
                                      account=org["mine"], contact=org["buyer"],
                                      currency="USD", owner=org["manager"])
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/quotes/", {"opportunity": deal.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["account"], body["contact"], body["currency"],
            body["owner"]) == ("Big deal", org["mine"].pk, org["buyer"].pk, "USD",
                               org["manager"].pk)
    listed = client.get("/api/v1/quotes/", {"opportunity": deal.pk}).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]


def test_a_new_version_copies_the_lines_and_supersedes_the_old_one(in_acme, org):
    first = quote(org, lines=[{"product": org["widget"], "quantity": Decimal("3")},
                              FREE_LINE], discount_percent=Decimal("5"))
    Quote.objects.filter(pk=first.pk).update(status="sent")
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, f"/api/v1/quotes/{first.pk}/new-version/", {})
    assert response.status_code == 201, response.content
    second = response.json()
    assert (second["number"], second["version"], second["previous"], second["status"]) == (
        first.number, 2, first.pk, "draft")
    assert second["label"] == f"{first.number} v2"
    assert [(line["description"], line["quantity"], line["unit_price"], line["sku"])
            for line in second["lines"]] == [
        ("Widget 小部件", "3.00", "19.99", "W-1"), ("Installation 安装", "1.00", "100.00", "")]
    assert second["total"] == str(first.total)
    old = client.get(f"/api/v1/quotes/{first.pk}/").json()
    assert (old["status"], old["next_version"]) == ("superseded", second["id"])
    assert Quote.objects.get(pk=second["id"]).access_token != first.access_token
    # Only the newest version is revised; an accepted one is final.
    assert post(client, f"/api/v1/quotes/{first.pk}/new-version/", {}).status_code == 409
    Quote.objects.filter(pk=second["id"]).update(status="accepted")
    assert post(client, f"/api/v1/quotes/{second['id']}/new-version/", {}).status_code == 409
    assert Quote.objects.filter(number=first.number).count() == 2


def test_a_declined_quote_can_be_revised_and_keeps_its_status(in_acme, org):
    declined = quote(org, lines=[FREE_LINE])
    Quote.objects.filter(pk=declined.pk).update(status="declined")
    declined.refresh_from_db()
    following = services.new_version(declined, acting_user=org["rep"])
    third = services.new_version(following, acting_user=org["rep"])
    declined.refresh_from_db()
    following.refresh_from_db()
    assert (declined.status, following.status, third.status) == (
        "declined", "superseded", "draft")
    assert [v.version for v in services.versions_of(third)] == [1, 2, 3]


def test_only_a_draft_can_be_changed(in_acme, org):
    sent = quote(org, lines=[FREE_LINE])
    Quote.objects.filter(pk=sent.pk).update(status="sent")
    client = signed_in(in_acme.host, "rep@acme.example")
    path = f"/api/v1/quotes/{sent.pk}/"
    refused = patch(client, path, {"title": "Changed", "lines": []})
    assert refused.status_code == 409, refused.content
    assert "detail" in refused.json()
    assert put(client, path, {"title": "Changed", "account": org["mine"].pk}).status_code == 409
    sent.refresh_from_db()
    assert (sent.title, sent.lines.count()) == ("Offer", 1)
    with pytest.raises(services.NotEditable):
        services.add_line(sent, **FREE_LINE)
    # A draft changes, and given lines replace the old ones; totals follow.
    draft = quote(org, lines=[FREE_LINE])
    changed = patch(client, f"/api/v1/quotes/{draft.pk}/", {
        "discount_percent": "10", "lines": [{"description": "Training", "quantity": "2",
                                              "unit_price": "50.00"}]})
    assert changed.status_code == 200, changed.content
    assert [line["description"] for line in changed.json()["lines"]] == ["Training"]
    assert changed.json()["total"] == "90.00"
    header_only = patch(client, f"/api/v1/quotes/{draft.pk}/", {"title": "Renamed"})
    assert [line["description"] for line in header_only.json()["lines"]] == ["Training"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"lines": [{"description": "X", "quantity": "-1", "unit_price": "1"}]}, "lines"),
    ({"lines": [{"description": "X", "quantity": "0", "unit_price": "1"}]}, "lines"),
    ({"lines": [{"description": "X", "unit_price": "-5"}]}, "lines"),
    ({"lines": [{"description": "X", "unit_price": "1", "discount_percent": "101"}]},
     "lines"),
    ({"lines": [{"description": "X", "unit_price": "1", "tax_rate": "-1"}]}, "lines"),
    ({"lines": [{"description": "X", "unit_price": "lots"}]}, "lines"),
    ({"lines": [{"quantity": "1", "unit_price": "1"}]}, "lines"),
    ({"lines": [{"product": 999999}]}, "lines"),
    ({"lines": "not a list"}, "lines"),
    ({"discount_percent": "100.5"}, "discount_percent"),
    ({"discount_percent": "-1"}, "discount_percent"),
    ({"currency": "yuan"}, "currency"),
    ({"valid_until": "31/01/2027"}, "valid_until"),
    ({"language": "fr"}, "language"),
    ({"account": None}, "account"),
    ({"title": ""}, "title"),
    ({"status": "accepted", "title": ""}, "title"),
])
def test_bad_input_answers_400_with_the_field(in_acme, org, payload, field):
    client = signed_in(in_acme.host, "rep@acme.example")
    good = {"title": "Offer", "account": org["mine"].pk}
    response = post(client, "/api/v1/quotes/", {**good, **payload})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Quote.objects.exists()


def test_the_status_is_not_set_through_the_api(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    created = post(client, "/api/v1/quotes/", {"title": "Offer", "account": org["mine"].pk,
                                               "status": "accepted"})
    assert created.status_code == 201
    assert created.json()["status"] == "draft"


def test_a_contact_of_another_account_and_malformed_json_answer_400(in_acme, org):
    other = Contact.objects.create(first_name="Li", account=org["theirs"], owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/quotes/", {"title": "X", "account": org["mine"].pk,
                                                "contact": other.pk})
    assert response.status_code == 400
    assert "contact" in response.json()
    broken = client.post("/api/v1/quotes/", "{not json", content_type="application/json")
    assert broken.status_code == 400
    draft = quote(org)
    assert client.patch(f"/api/v1/quotes/{draft.pk}/", "[1,",
                        content_type="application/json").status_code == 400
    for params in ({"status": "nope"}, {"valid_before": "junk"}, {"latest": "maybe"},
                   {"account": "abc"}, {"ordering": "password"}):
        assert client.get("/api/v1/quotes/", params).status_code in (200, 400), params
    assert client.get("/api/v1/quotes/", {"status": "nope"}).status_code == 400
    assert client.get("/api/v1/quotes/", {"valid_before": "junk"}).status_code == 400


def test_filters(in_acme, org):
    older = quote(org, title="Older", valid_until=tenant_today() + 5 * DAY)
    services.new_version(older, acting_user=org["rep"])
    quote(org, title="Later", valid_until=tenant_today() + 50 * DAY)
    client = signed_in(in_acme.host, "admin@acme.example")

    def titles(**params):
        response = client.get("/api/v1/quotes/", params)
        assert response.status_code == 200, response.content
        return [(row["title"], row["version"]) for row in response.json()["results"]]

    assert titles(latest="true") == [("Later", 1), ("Older", 2)]
    assert titles(status="superseded") == [("Older", 1)]
    assert titles(number=older.number, ordering="version") == [("Older", 1), ("Older", 2)]
    assert titles(valid_after=(tenant_today() + 30 * DAY).isoformat()) == [("Later", 1)]
    assert titles(q="later") == [("Later", 1)]
    assert titles(account=org["theirs"].pk) == []


def test_visibility_by_role(in_acme, org):
    own = quote(org, title="Rep's", lines=[FREE_LINE])
    quote(org, title="South's", owner="rep2", account="theirs", team=org["south"])
    quote(org, title="Manager's", owner="manager")

    def seen(email):
        response = signed_in(in_acme.host, email).get("/api/v1/quotes/")
        assert response.status_code == 200, response.content
        return {row["title"] for row in response.json()["results"]}

    assert seen("rep@acme.example") == {"Rep's", "Manager's"}
    assert seen("rep2@acme.example") == {"South's"}
    assert seen("boss@acme.example") == {"Rep's", "Manager's"}
    assert seen("admin@acme.example") == {"Rep's", "South's", "Manager's"}
    rep2 = signed_in(in_acme.host, "rep2@acme.example")
    path = f"/api/v1/quotes/{own.pk}/"
    assert rep2.get(path).status_code == 404
    assert patch(rep2, path, {"title": "Mine"}).status_code == 404
    assert rep2.delete(path).status_code == 404
    for action in ("new-version", "send"):
        assert post(rep2, f"{path}{action}/", {}).status_code == 404
    assert rep2.get(f"{path}pdf/").status_code == 404
    for page in ("", "edit/"):
        assert rep2.get(f"/app/quotes/{own.pk}/{page}").status_code == 404
    for page in ("new-version/", "send/", "delete/"):
        assert rep2.post(f"/app/quotes/{own.pk}/{page}").status_code == 404
    own.refresh_from_db()
    assert (own.title, own.status, own.deleted_at) == ("Rep's", "draft", None)
    # Nor can a rep quote for an account or opportunity out of sight.
    refused = post(rep2, "/api/v1/quotes/", {"title": "X", "account": org["mine"].pk})
    assert refused.status_code == 400
    assert "account" in refused.json()


def test_a_portal_customer_gets_no_quotes(in_acme, org):
    quote(org)
    client = host_client(in_acme.host)
    client.login(username="customer@acme.example", password="test-pass-123")
    assert client.get("/api/v1/quotes/").status_code in (401, 403)
    assert client.get("/api/v1/catalogue-products/").status_code in (401, 403)


def test_globex_cannot_read_or_change_acme_quotes(in_acme, org, globex):
    acme_quote = quote(org, lines=[FREE_LINE])
    Quote.objects.filter(pk=acme_quote.pk).update(status="sent",
                                                  valid_until=tenant_today() - DAY)
    token = admin_token(globex.tenant)
    client = host_client(globex.host)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/quotes/", **auth).json()["results"] == []
    path = f"/api/v1/quotes/{acme_quote.pk}/"
    assert client.get(path, **auth).status_code == 404
    assert client.patch(path, json.dumps({"title": "Taken"}), content_type="application/json",
                        **auth).status_code == 404
    assert client.delete(path, **auth).status_code == 404
    assert client.post(f"{path}new-version/", **auth).status_code == 404
    assert client.post(f"{path}send/", **auth).status_code == 404
    assert client.get(f"{path}pdf/", **auth).status_code == 404
    acme_auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get("/api/v1/quotes/", **acme_auth).status_code == 401
    products = client.get("/api/v1/catalogue-products/", {"search": "W-1"}, **auth).json()
    assert products["results"] == []  # acme's catalogue is acme's
    # The expiry run in globex never touches acme's quotes.
    with tenant_context(globex.tenant):
        assert tasks.expire_quotes() == 0
    with tenant_context(in_acme.tenant):  # the requests above left globex's schema set
        acme_quote.refresh_from_db()
    assert (acme_quote.title, acme_quote.status, acme_quote.deleted_at) == (
        "Offer", "sent", None)


def test_sent_quotes_past_their_date_expire_once(in_acme, org):
    today = tenant_today()
    past = quote(org, title="Past", valid_until=today - DAY)
    last_day = quote(org, title="Last day", valid_until=today)
    draft = quote(org, title="Draft", valid_until=today - 10 * DAY)
    undated = quote(org, title="Undated")
    Quote.objects.filter(pk__in=[past.pk, last_day.pk, undated.pk]).update(status="sent")
    assert tasks.expire_quotes() == 1
    assert tasks.expire_quotes() == 0
    statuses = dict(Quote.objects.values_list("title", "status"))
    assert statuses == {"Past": "expired", "Last day": "sent", "Draft": "draft",
                        "Undated": "sent"}
    assert draft.pk
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "crm_apps.quotes.tasks.expire_quotes" in scheduled


def test_the_quote_shows_on_its_accounts_timeline(in_acme, org):
    shown = quote(org, title="Hardware", lines=[FREE_LINE])
    quote(org, title="Elsewhere", owner="rep2", account="theirs")
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.get("/api/v1/timeline/", {"account": org["mine"].pk})
    assert response.status_code == 200, response.content
    items = [item for item in response.json()["results"] if item["source"] == "quotes"]
    assert [(item["id"], item["link"]) for item in items] == [
        (str(shown.pk), f"/app/quotes/{shown.pk}/")]
    assert "Hardware" in items[0]["title"]
    assert "113.00 CNY" in items[0]["summary"]


def test_changes_are_audited_and_a_deleted_quote_waits_in_the_bin(in_acme, org):
    from core.models import AuditEntry
    from crm_apps.customers import binned

    client = signed_in(in_acme.host, "rep@acme.example")
    created = post(client, "/api/v1/quotes/", {"title": "Audited", "account": org["mine"].pk})
    pk = created.json()["id"]
    patch(client, f"/api/v1/quotes/{pk}/", {"title": "Audited twice"})
    assert client.delete(f"/api/v1/quotes/{pk}/").status_code == 204
    assert client.get(f"/api/v1/quotes/{pk}/").status_code == 404
    entries = AuditEntry.objects.filter(record_type="quotes.quote", record_id=str(pk))
    assert sorted(entries.values_list("action", flat=True)) == ["created", "deleted",
                                                                "updated"]
    assert entries.get(action="updated").actor == org["rep"]
    assert "quote" in binned.kinds()
    accepted = quote(org)
    Quote.objects.filter(pk=accepted.pk).update(status="accepted")
    assert client.delete(f"/api/v1/quotes/{accepted.pk}/").status_code == 409


def test_the_catalogue_picker_searches_title_and_sku(in_acme, org):
    make_product("Gadget", "G-7", Decimal("5.00"))
    client = signed_in(in_acme.host, "rep@acme.example")

    def found(search):
        response = client.get("/api/v1/catalogue-products/", {"search": search})
        assert response.status_code == 200, response.content
        return [(row["title"], row["sku"], row["price"], row["currency"])
                for row in response.json()["results"]]

    assert found("w-1") == [("Widget 小部件", "W-1", "19.99", "CNY")]
    assert found("gadget") == [("Gadget", "G-7", "5.00", "CNY")]
    assert found("nothing like it") == []


def test_send_and_pdf_actions(in_acme, org):
    draft = quote(org, lines=[FREE_LINE], contact=org["buyer"])
    client = signed_in(in_acme.host, "rep@acme.example")
    pdf = client.get(f"/api/v1/quotes/{draft.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    sent = post(client, f"/api/v1/quotes/{draft.pk}/send/", {})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "sent"
    assert [message.to for message in mail.outbox] == [["wei@example.com"]]
    nobody = quote(org, lines=[FREE_LINE])
    assert post(client, f"/api/v1/quotes/{nobody.pk}/send/", {}).status_code == 400
    superseded = services.new_version(Quote.objects.get(pk=draft.pk), acting_user=org["rep"])
    assert superseded.pk
    assert post(client, f"/api/v1/quotes/{draft.pk}/send/", {}).status_code == 409


def test_the_list_costs_the_same_queries_for_few_or_many_quotes(in_acme, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(in_acme.host, "rep@acme.example")

    def cost(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    quote(org, lines=[FREE_LINE, FREE_LINE])
    few = cost("/api/v1/quotes/"), cost("/app/quotes/")
    for _ in range(5):
        services.new_version(quote(org, lines=[FREE_LINE, {"product": org["widget"]}]),
                             acting_user=org["rep"])
    assert (cost("/api/v1/quotes/"), cost("/app/quotes/")) == few


def test_a_version_whose_successor_went_to_the_bin_can_be_revised_again(in_acme, org):
    first = quote(org, lines=[FREE_LINE])
    second = services.new_version(first, acting_user=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    assert post(client, f"/api/v1/quotes/{first.pk}/new-version/", {}).status_code == 409
    assert client.delete(f"/api/v1/quotes/{second.pk}/").status_code == 204
    again = post(client, f"/api/v1/quotes/{first.pk}/new-version/", {})
    assert again.status_code == 201, again.content
    assert (again.json()["version"], again.json()["previous"]) == (3, first.pk)
    assert client.get(f"/api/v1/quotes/{first.pk}/").json()["next_version"] == again.json()["id"]
