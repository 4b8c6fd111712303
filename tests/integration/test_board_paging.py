"""The board shows each column's first cards and "Load more" brings the next ones in order;
column counts and totals cover every card the user may see, loaded or not; amounts are
grouped by thousands in English and Chinese; bad paging input is a 400; tenants stay apart."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.sales.models import Opportunity, Pipeline
from crm_apps.sales.pipeline_services import CARDS_PER_PAGE
from crm_apps.sales.templatetags.board_money import format_amount, format_count
from tests.fixtures.world import signed_in

HOST = "acme.localhost"
CARD_IDS = re.compile(r'data-card="(\d+)"')
MORE_URL = re.compile(r'data-url="([^"]+)"')
MANY = CARDS_PER_PAGE + 12


@pytest.fixture
def long_column(in_acme):
    """62 of rep's cards in the first stage (two share a position), a card of rep2 (another
    team) among them, and one of rep's in the second stage."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-paging", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    Team.objects.create(name="North").members.add(rep)
    Team.objects.create(name="South").members.add(rep2)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position"))
    cards = Opportunity.objects.bulk_create([
        Opportunity(name=f"Deal {number:03d}", pipeline=pipeline, stage=stages[0], owner=rep,
                    amount=Decimal("1000.50") * (number + 1),
                    # Deals 049 and 050 share a position across the rep's first page's end:
                    # the id breaks the tie.
                    board_position=float(49 if number == 50 else number))
        for number in range(MANY)])
    hidden = Opportunity.objects.create(name="South deal", pipeline=pipeline, stage=stages[0],
                                        owner=rep2, amount=Decimal("9000000.00"),
                                        board_position=10.5)
    later = Opportunity.objects.create(name="Later deal", pipeline=pipeline, stage=stages[1],
                                       owner=rep, amount=Decimal("1234567.00"))
    return {"pipeline": pipeline, "stages": stages, "cards": cards, "hidden": hidden,
            "later": later}


def column(response, stage):
    return next(c for c in response.context["columns"] if c["stage"] == stage)


def board_order(stage, user):
    from crm_apps.sales.pipeline_services import visible_opportunities

    return list(visible_opportunities(user).filter(stage=stage)
                .order_by("board_position", "id").values_list("pk", flat=True))


def test_a_column_shows_its_first_cards_and_counts_all_of_them(long_column):
    first = long_column["stages"][0]
    response = signed_in(HOST, "rep@acme.example").get("/app/sales/pipeline/")
    assert response.status_code == 200
    shown = column(response, first)
    rep = get_user_model().objects.get(email="rep@acme.example")
    assert [card.pk for card in shown["cards"]] == board_order(first, rep)[:CARDS_PER_PAGE]
    assert shown["more"] is True
    assert shown["count"] == MANY
    expected = sum((Decimal("1000.50") * (n + 1) for n in range(MANY)), Decimal(0))
    assert shown["total"] == expected  # every card, loaded or not; not rep2's
    page = response.content.decode()
    assert len(CARD_IDS.findall(page)) == CARDS_PER_PAGE + 1  # and the second column's card
    assert page.count("data-load-more") == 1  # the second column holds all its cards
    assert "South deal" not in page
    assert f'data-total="{expected}"' in page
    assert format_amount(expected) in page


def test_load_more_brings_the_next_cards_in_board_order(long_column):
    first = long_column["stages"][0]
    client = signed_in(HOST, "rep@acme.example")
    page = client.get("/app/sales/pipeline/").content.decode()
    more = MORE_URL.search(page).group(1).replace("&amp;", "&")
    assert more.startswith("/app/sales/pipeline/cards/?")
    response = client.get(more)
    assert response.status_code == 200
    rep = get_user_model().objects.get(email="rep@acme.example")
    ids = [int(pk) for pk in CARD_IDS.findall(response.content.decode())]
    assert ids == board_order(first, rep)[CARDS_PER_PAGE:]
    assert len(ids) == MANY - CARDS_PER_PAGE
    body = response.content.decode()
    assert "data-load-more" not in body  # the column's end
    assert "South deal" not in body
    assert "data-move" in body
    assert "Move to…" in body


def test_load_more_pages_on_until_the_end_and_ties_go_by_id(long_column):
    first = long_column["stages"][0]
    admin = get_user_model().objects.get(email="admin@acme.example")
    client = signed_in(HOST, "admin@acme.example")
    order = board_order(first, admin)
    cards = {card.pk: card for card in Opportunity.objects.filter(pk__in=order)}
    seen, after = [], None
    while True:
        query = "" if after is None else f"&position={cards[after].board_position!r}&after={after}"
        if after is None:
            page = client.get("/app/sales/pipeline/")
            seen += [card.pk for card in column(page, first)["cards"]]
            more = column(page, first)["more"]
        else:
            response = client.get(f"/app/sales/pipeline/cards/?stage={first.pk}{query}")
            seen += [int(pk) for pk in CARD_IDS.findall(response.content.decode())]
            more = "data-load-more" in response.content.decode()
        if not more:
            break
        after = seen[-1]
    assert seen == order
    assert long_column["hidden"].pk in seen  # the admin sees rep2's card too


def test_the_reps_totals_leave_out_what_others_own(long_column):
    first = long_column["stages"][0]
    rep_column = column(signed_in(HOST, "rep@acme.example").get("/app/sales/pipeline/"), first)
    admin_column = column(signed_in(HOST, "admin@acme.example").get("/app/sales/pipeline/"),
                          first)
    assert admin_column["count"] == rep_column["count"] + 1
    assert admin_column["total"] - rep_column["total"] == Decimal("9000000.00")


def test_the_board_costs_the_same_queries_however_long_its_columns(long_column):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(HOST, "rep@acme.example")

    def board_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/app/sales/pipeline/").status_code == 200
        return len(queries)

    board_queries()  # caches warm
    before = board_queries()
    stages, rep = long_column["stages"], get_user_model().objects.get(email="rep@acme.example")
    Opportunity.objects.bulk_create([
        Opportunity(name=f"More {number}", pipeline=long_column["pipeline"],
                    stage=stages[number % len(stages)], owner=rep, board_position=number)
        for number in range(300)])
    assert board_queries() == before


@pytest.mark.parametrize("query", [
    "", "stage=abc&position=1&after=1", "stage=FIRST&position=nan&after=1",
    "stage=FIRST&position=inf&after=1", "stage=FIRST&position=1&after=-1",
    "stage=FIRST&position=1", "stage=FIRST&after=1", "stage=FIRST&position=1e&after=1",
])
def test_bad_paging_parameters_are_a_400(long_column, query):
    query = query.replace("FIRST", str(long_column["stages"][0].pk))
    response = signed_in(HOST, "rep@acme.example").get(f"/app/sales/pipeline/cards/?{query}")
    assert response.status_code == 400


def test_an_unknown_stage_is_404_and_customers_are_kept_out(long_column):
    client = signed_in(HOST, "rep@acme.example")
    assert client.get("/app/sales/pipeline/cards/?stage=999999&position=0&after=0"
                      ).status_code == 404
    stage = long_column["stages"][0].pk
    assert Client(HTTP_HOST=HOST).get(
        f"/app/sales/pipeline/cards/?stage={stage}&position=0&after=0").status_code == 302


def test_globex_cannot_load_acmes_cards(long_column, globex):
    stage = long_column["stages"][0]
    with tenant_context(globex.tenant):
        client = signed_in(globex.host, "admin@globex.example")
        response = client.get(f"/app/sales/pipeline/cards/?stage={stage.pk}&position=-1&after=0")
        assert response.status_code in (200, 404)
        body = response.content.decode()
    assert "Deal 0" not in body


# --- amounts in the reader's language ------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_amounts_are_grouped_by_thousands_in_both_languages(language):
    assert format_amount(Decimal("1234567")) == "1,234,567.00"
    assert format_amount("1234567.5", language) == "1,234,567.50"
    assert format_amount(Decimal("999.99"), language) == "999.99"
    assert format_amount(Decimal("0"), language) == "0.00"
    assert format_amount("lots", language) == ""
    assert format_count(20000, language) == "20,000"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_board_shows_grouped_amounts_to_each_language(long_column, language):
    client = signed_in(HOST, "rep@acme.example")
    client.cookies["django_language"] = language
    response = client.get("/app/sales/pipeline/")
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    assert "1,234,567.00 CNY" in page  # the card in the second column
    second = column(response, long_column["stages"][1])
    assert format_amount(second["total"]) == "1,234,567.00"
    assert 'data-total="1234567.00">1,234,567.00</span>' in page  # the column's total
    assert f'data-count="{MANY}">{MANY}</span>' in page


@pytest.mark.parametrize(("header", "echoed"), [
    ("tab-1a2b", "tab-1a2b"), ("", ""), ("<script>", ""), ("a" * 65, ""), ("tab 1", ""),
])
def test_only_a_well_formed_board_id_is_echoed_in_pushes(header, echoed):
    from crm_apps.sales.opportunity_api import board_client

    assert board_client(header) == echoed
