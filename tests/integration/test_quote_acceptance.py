"""Quotes answered from the portal: accepting makes exactly one Oscar order (clicked twice, or
twice at the same moment), wins the opportunity with an audit entry and tells the owner;
declining records the reason; versions that are not open cannot be accepted; tokens are
looked up in the request tenant only."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from core import audit
from crm_apps.customers.models import Account, Contact
from crm_apps.quotes import totals
from crm_apps.quotes.acceptance import accept_quote, decline_quote
from crm_apps.quotes.errors import QuoteStateError
from crm_apps.quotes.models import Quote, QuoteLine
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from realtime.models import Notification
from tests.fixtures.world import host_client

Order = get_model("order", "Order")
HOST = "acme.localhost"
DAY = datetime.timedelta(days=1)


def make_quote(*, account, contact=None, owner=None, opportunity=None, status="sent",
               language="en", lines=None, **fields) -> Quote:
    """A quote written straight to the database, its totals recomputed."""
    quote = Quote.objects.create(
        title=fields.pop("title", "Office fit-out"), account=account, contact=contact,
        owner=owner, opportunity=opportunity, status=status, language=language,
        sent_at=None if status == "draft" else timezone.now(), currency="CNY",
        discount_percent=fields.pop("discount_percent", Decimal("5")), **fields)
    for position, line in enumerate(lines if lines is not None else [
            {"description": "Consulting days", "quantity": Decimal("1.5"),
             "unit_price": Decimal("80.00"), "tax_rate": Decimal("6")}]):
        QuoteLine.objects.create(quote=quote, position=position, **line)
    totals.recompute(quote)
    return quote


def deal_rows(product=None) -> dict:
    """An account, a contact with a portal login, an open opportunity and a sent quote with a
    catalogue line and a free line (in the current schema)."""
    rep = get_user_model().objects.get(email="rep@acme.example")
    account = Account.objects.create(name="Initech", owner=rep)
    contact = Contact.objects.create(first_name="Wei", last_name="Zhang", account=account,
                                     email="customer@acme.example", owner=rep)
    pipeline = Pipeline.objects.get(is_default=True)
    opportunity = Opportunity.objects.create(
        name="Fit-out", account=account, pipeline=pipeline, owner=rep,
        stage=pipeline.stages.filter(outcome=Stage.Outcome.OPEN).order_by("position").first(),
        amount=Decimal("300.00"))
    lines = [{"product": product, "sku": "W-1", "description": "Widget",
              "quantity": Decimal("2"), "unit_price": Decimal("100.00"),
              "discount_percent": Decimal("10"), "tax_rate": Decimal("13")},
             {"description": "Consulting days", "quantity": Decimal("1.5"),
              "unit_price": Decimal("80.00"), "tax_rate": Decimal("6")}]
    quote = make_quote(account=account, contact=contact, owner=rep, opportunity=opportunity,
                       lines=lines, valid_until=timezone.localdate() + 30 * DAY)
    return {"rep": rep, "account": account, "contact": contact, "opportunity": opportunity,
            "quote": quote, "product": product}


@pytest.fixture
def deal(in_acme):
    product = create_product(title="Widget", upc="W-1", price=Decimal("100.00"),
                             num_in_stock=10, partner_sku="W-1", partner_name="Acme stock")
    return deal_rows(product)


def page(token: str) -> str:
    return f"/portal/quotes/{token}/"


def test_the_quote_totals_are_the_ones_the_order_must_carry(deal):
    quote = deal["quote"]
    # 2 × 100 − 10 % − 5 % = 171.00 + 13 % = 22.23; 1.5 × 80 − 5 % = 114.00 + 6 % = 6.84
    assert (quote.subtotal, quote.discount_total, quote.tax_total, quote.total) == (
        Decimal("320.00"), Decimal("35.00"), Decimal("29.07"), Decimal("314.07"))


def test_accepting_in_the_portal_creates_one_order_and_wins_the_opportunity(deal):
    quote, rep = deal["quote"], deal["rep"]
    client = host_client(HOST)
    shown = client.get(page(quote.access_token))
    assert shown.status_code == 200
    assert b"CNY 314.07" in shown.content
    assert b'id="accept-form"' in shown.content

    response = client.post(page(quote.access_token) + "accept/", {"name": "Wei Zhang"})
    assert response.status_code == 303
    orders = list(Order.objects.filter(number=quote.number))
    assert len(orders) == 1
    order = orders[0]
    assert (order.total_incl_tax, order.total_excl_tax) == (Decimal("314.07"),
                                                           Decimal("285.00"))
    assert isinstance(order.total_incl_tax, Decimal)
    assert order.currency == "CNY"
    assert order.status == "Pending"
    assert {line.status for line in order.lines.all()} == {"Pending"}
    assert order.user.email == "customer@acme.example"  # the contact's portal login
    widget, days = order.lines.order_by("pk")
    assert (widget.product, widget.quantity, widget.line_price_excl_tax,
            widget.line_price_incl_tax, widget.line_price_before_discounts_excl_tax,
            widget.unit_price_excl_tax) == (deal["product"], 2, Decimal("171.00"),
                                            Decimal("193.23"), Decimal("200.00"),
                                            Decimal("100.00"))
    assert widget.partner_sku == "W-1"
    assert widget.stockrecord.num_allocated == 2
    assert days.product is None
    assert (days.quantity, days.line_price_incl_tax) == (1, Decimal("120.84"))
    assert "1.5" in days.title
    assert sum(line.line_price_incl_tax for line in order.lines.all()) == order.total_incl_tax

    quote.refresh_from_db()
    assert (quote.status, quote.order_id, quote.responded_by) == ("accepted", order.pk,
                                                                  "Wei Zhang")
    assert quote.responded_at is not None
    opportunity = Opportunity.objects.get(pk=deal["opportunity"].pk)
    assert opportunity.stage.outcome == Stage.Outcome.WON
    assert opportunity.forecast_category == Opportunity.ForecastCategory.CLOSED
    assert opportunity.closed_at is not None
    moved = [entry for entry in audit.history(opportunity)
             if entry.action == "updated" and "stage" in entry.changes]
    assert len(moved) == 1
    assert moved[0].changes["stage"][1] == opportunity.stage_id
    assert moved[0].actor == rep
    told = Notification.objects.filter(recipient=rep, kind="quote.answered")
    assert [(n.link, "Wei Zhang" in n.title) for n in told] == [
        (f"/app/quotes/{quote.pk}/", True)]

    after = client.get(page(quote.access_token))
    assert b'id="order-number"' in after.content
    assert order.number.encode() in after.content
    assert b'id="accept-form"' not in after.content


def test_clicking_accept_twice_keeps_one_order(deal):
    quote = deal["quote"]
    client = host_client(HOST)
    first = client.post(page(quote.access_token) + "accept/", {"name": "Wei Zhang"})
    second = client.post(page(quote.access_token) + "accept/", {"name": "Wei Zhang"})
    assert (first.status_code, second.status_code) == (303, 303)
    assert Order.objects.filter(number=quote.number).count() == 1
    assert accept_quote(quote.access_token, "Someone else") == Quote.objects.get(
        pk=quote.pk).order
    assert Order.objects.count() == 1


def test_two_simultaneous_accepts_make_one_order(committed):
    """Two customers' clicks at the same moment, each in its own connection: the locked quote
    row makes the second wait and find the first one's order."""
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        rows = deal_rows()
    token = rows["quote"].access_token
    barrier = threading.Barrier(2)
    statuses, failures = [], []

    def click():
        try:
            client = Client(HTTP_HOST=HOST)
            barrier.wait(timeout=10)
            statuses.append(client.post(page(token) + "accept/",
                                        {"name": "Wei Zhang"}).status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        with tenant_context(acme):
            quote = Quote.objects.get(pk=rows["quote"].pk)
            orders = list(Order.objects.filter(number=quote.number))
            assert failures == []
            assert statuses == [303, 303]
            assert len(orders) == 1
            assert quote.order_id == orders[0].pk
            assert Opportunity.objects.get(pk=rows["opportunity"].pk).stage.outcome == "won"
    finally:
        with tenant_context(acme):
            _remove(rows)


def _remove(rows) -> None:
    from core.models import AuditEntry

    quote = rows["quote"]
    Order.objects.filter(number=quote.number).delete()
    Notification.objects.filter(kind="quote.answered").delete()
    AuditEntry.objects.filter(record_type="quotes.quote", record_id=str(quote.pk)).delete()
    for record_type, key in (("sales.opportunity", "opportunity"),
                             ("customers.contact", "contact"), ("customers.account", "account")):
        AuditEntry.objects.filter(record_type=record_type,
                                  record_id=str(rows[key].pk)).delete()
    Quote.everything.filter(pk=quote.pk).delete()
    Opportunity.everything.filter(pk=rows["opportunity"].pk).delete()
    Contact.everything.filter(pk=rows["contact"].pk).delete()
    Account.everything.filter(pk=rows["account"].pk).delete()


def test_declining_records_the_reason_and_makes_no_order(deal):
    quote = deal["quote"]
    client = host_client(HOST)
    response = client.post(page(quote.access_token) + "decline/",
                           {"name": "Wei Zhang", "reason": "Over our budget"})
    assert response.status_code == 303
    quote.refresh_from_db()
    assert (quote.status, quote.decline_reason, quote.responded_by) == (
        "declined", "Over our budget", "Wei Zhang")
    assert quote.order_id is None
    assert not Order.objects.exists()
    assert Opportunity.objects.get(pk=deal["opportunity"].pk).stage.outcome == "open"
    assert Notification.objects.filter(recipient=deal["rep"], kind="quote.answered").exists()
    late = client.post(page(quote.access_token) + "accept/", {"name": "Wei Zhang"})
    assert late.status_code == 409
    assert not Order.objects.exists()
    assert b"Over our budget" in client.get(page(quote.access_token)).content


def test_superseded_expired_and_draft_versions_cannot_be_accepted(deal):
    first = deal["quote"]
    client = host_client(HOST)
    Quote.objects.filter(pk=first.pk).update(status="superseded")
    second = make_quote(account=deal["account"], contact=deal["contact"], owner=deal["rep"],
                        number=first.number, version=2, previous=first)
    refused = client.post(page(first.access_token) + "accept/", {"name": "Wei Zhang"})
    assert refused.status_code == 409
    assert b"replaced by a newer one" in refused.content
    # The old version's page points to the newest one that was sent.
    assert page(second.access_token).encode() in client.get(page(first.access_token)).content

    out_of_date = make_quote(account=deal["account"], contact=deal["contact"],
                             valid_until=timezone.localdate() - DAY)
    assert client.post(page(out_of_date.access_token) + "accept/",
                       {"name": "Wei Zhang"}).status_code == 409
    assert b"expired" in client.get(page(out_of_date.access_token)).content
    marked_expired = make_quote(account=deal["account"], contact=deal["contact"],
                                status="expired")
    assert client.post(page(marked_expired.access_token) + "accept/",
                       {"name": "Wei Zhang"}).status_code == 409

    draft = make_quote(account=deal["account"], contact=deal["contact"], status="draft")
    assert client.get(page(draft.access_token)).status_code == 404
    assert client.post(page(draft.access_token) + "accept/",
                       {"name": "Wei Zhang"}).status_code == 404
    with pytest.raises(QuoteStateError) as refusal:
        accept_quote(draft.pk, "Wei Zhang")
    assert refusal.value.code == "draft"
    assert not Order.objects.exists()
    # The newest sent version is still open and accepted normally.
    assert client.post(page(second.access_token) + "accept/",
                       {"name": "Wei Zhang"}).status_code == 303
    assert Order.objects.get().number == first.number


def test_accepting_needs_a_name_and_the_csrf_token(deal):
    quote = deal["quote"]
    nameless = host_client(HOST).post(page(quote.access_token) + "accept/", {"name": "  "})
    assert nameless.status_code == 400
    assert b"Type your name" in nameless.content
    strict = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    assert strict.post(page(quote.access_token) + "accept/",
                       {"name": "Wei Zhang"}).status_code == 403
    form_page = strict.get(page(quote.access_token))
    token = form_page.cookies[settings.CSRF_COOKIE_NAME].value
    assert strict.post(page(quote.access_token) + "accept/",
                       {"name": "Wei Zhang", "csrfmiddlewaretoken": token}).status_code == 303
    assert Order.objects.count() == 1


def test_declining_twice_keeps_the_first_answer(deal):
    quote = deal["quote"]
    decline_quote(quote.access_token, "Wei", "Too late")
    decline_quote(quote.access_token, "Wei", "Changed my mind")
    quote.refresh_from_db()
    assert quote.decline_reason == "Too late"


def test_unknown_tokens_are_404(in_acme):
    client = host_client(HOST)
    for path in ("", "pdf/"):
        assert client.get(page("no-such-token") + path).status_code == 404
    assert client.post(page("no-such-token") + "accept/", {"name": "X"}).status_code == 404
    assert client.post(page("no-such-token") + "decline/", {}).status_code == 404


def test_an_acme_token_is_404_on_globex(in_acme, deal, globex):
    quote = deal["quote"]
    other = host_client(globex.host)
    assert other.get(page(quote.access_token)).status_code == 404
    assert other.get(page(quote.access_token) + "pdf/").status_code == 404
    assert other.post(page(quote.access_token) + "accept/",
                      {"name": "Mallory"}).status_code == 404
    assert other.post(page(quote.access_token) + "decline/", {}).status_code == 404
    with tenant_context(in_acme.tenant):  # the requests left the connection on globex
        quote.refresh_from_db()
        assert quote.status == "sent"
        assert not Order.objects.exists()
