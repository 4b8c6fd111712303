"""The sales pages: the board's columns, cards and totals by visibility, the opportunity list
with filters and sorting, the detail page and the create/edit form's checks."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Team
from crm_apps.customization.models import FieldRestriction
from crm_apps.sales import pipeline_services
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import signed_in

HOST = "acme.localhost"


@pytest.fixture
def deals(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-pages", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position"))
    account = Account.objects.create(name="杭州云计算", owner=rep)
    made = {}
    for name, owner, amount, stage in [("Cloud upgrade", rep, "1200.10", 0),
                                       ("Support plan", rep, "300.05", 0),
                                       ("Southern deal", rep2, "9000.00", 0),
                                       ("Renewal", rep, "50.00", 1)]:
        made[name] = Opportunity.objects.create(
            name=name, owner=owner, amount=Decimal(amount), pipeline=pipeline,
            stage=stages[stage], account=account if owner == rep else None,
            expected_close="2026-12-31")
    return {"rep": rep, "pipeline": pipeline, "stages": stages, "deals": made,
            "account": account}


def column(response, stage):
    return next(c for c in response.context["columns"] if c["stage"] == stage)


def test_the_board_shows_a_column_per_stage_with_the_reps_cards_and_totals(deals):
    response = signed_in(HOST, "rep@acme.example").get("/app/sales/pipeline/")
    assert response.status_code == 200
    first = column(response, deals["stages"][0])
    assert [card.name for card in first["cards"]] == ["Cloud upgrade", "Support plan"]
    assert first["count"] == 2
    assert first["total"] == Decimal("1500.15")
    assert len(response.context["columns"]) == len(deals["stages"])
    page = response.content.decode()
    assert "Southern deal" not in page
    assert "1500.15" in page
    assert "杭州云计算" in page
    assert 'data-move' in page
    assert "Move to…" in page


def test_the_admin_board_counts_everything(deals):
    response = signed_in(HOST, "admin@acme.example").get(
        f"/app/sales/pipeline/?pipeline={deals['pipeline'].pk}")
    first = column(response, deals["stages"][0])
    assert first["count"] == 3
    assert first["total"] == Decimal("10500.15")


def test_an_unknown_pipeline_is_404_and_customers_are_kept_out(deals):
    client = signed_in(HOST, "admin@acme.example")
    assert client.get("/app/sales/pipeline/?pipeline=999999").status_code == 404
    assert client.get("/app/sales/pipeline/?pipeline=abc").status_code == 404
    assert Client(HTTP_HOST=HOST).get("/app/sales/pipeline/").status_code == 302


def test_the_nav_has_a_sales_link_for_staff(deals):
    page = signed_in(HOST, "rep@acme.example").get("/app/sales/opportunities/").content.decode()
    assert 'href="/app/sales/pipeline/"' in page


def test_the_list_filters_sorts_and_respects_visibility(deals):
    client = signed_in(HOST, "rep@acme.example")
    response = client.get("/app/sales/opportunities/?sort=-amount")
    assert [o.name for o in response.context["object_list"]] == [
        "Cloud upgrade", "Support plan", "Renewal"]
    response = client.get("/app/sales/opportunities/?amount_min=100&sort=amount")
    assert [o.name for o in response.context["object_list"]] == [
        "Support plan", "Cloud upgrade"]
    response = client.get(f"/app/sales/opportunities/?stage={deals['stages'][1].pk}")
    assert [o.name for o in response.context["object_list"]] == ["Renewal"]
    response = client.get("/app/sales/opportunities/?q=support")
    assert [o.name for o in response.context["object_list"]] == ["Support plan"]
    # A malformed filter is reported, not a 500.
    response = client.get("/app/sales/opportunities/?amount_min=lots&sort=bogus")
    assert response.status_code == 200
    assert "amount_min" in response.content.decode()


def test_the_detail_page_is_only_for_those_who_see_it(deals):
    southern = deals["deals"]["Southern deal"]
    assert signed_in(HOST, "rep@acme.example").get(
        f"/app/sales/opportunities/{southern.pk}/").status_code == 404
    response = signed_in(HOST, "admin@acme.example").get(
        f"/app/sales/opportunities/{southern.pk}/")
    assert response.status_code == 200
    assert "9000.00" in response.content.decode()


def form_data(deals, **changes):
    data = {"name": "Hangzhou expansion", "pipeline": deals["pipeline"].pk,
            "stage": deals["stages"][0].pk, "amount": "2500.50", "currency": "cny",
            "expected_close": "2027-03-01", "forecast_category": "commit",
            "owner": deals["rep"].pk, "account": deals["account"].pk}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_rep_creates_and_edits_an_opportunity(deals):
    client = signed_in(HOST, "rep@acme.example")
    form = client.get("/app/sales/opportunities/new/").content.decode()
    assert 'id="pipeline-stages"' in form
    response = client.post("/app/sales/opportunities/new/", form_data(deals))
    assert response.status_code == 302
    created = Opportunity.objects.get(name="Hangzhou expansion")
    assert created.currency == "CNY"
    assert created.amount == Decimal("2500.50")
    won = deals["stages"][-2]
    response = client.post(f"/app/sales/opportunities/{created.pk}/edit/",
                           form_data(deals, stage=won.pk))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.closed_at is not None
    assert created.forecast_category == "closed"


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "-5"}, "amount"),
    ({"currency": "RMBX"}, "currency"),
    ({"currency": "1A2"}, "currency"),
    ({"name": ""}, "name"),
    ({"stage": "LOST"}, "lost_reason"),
    ({"stage": "OTHER"}, "stage"),
    ({"expected_close": "someday"}, "expected_close"),
])
def test_the_form_refuses_bad_values_with_field_errors(deals, changes, field):
    if changes.get("stage") == "LOST":
        changes["stage"] = deals["stages"][-1].pk
    elif changes.get("stage") == "OTHER":
        other = Pipeline.objects.create(name="Renewals")
        changes["stage"] = Stage.objects.create(pipeline=other, name="Due").pk
    client = signed_in(HOST, "rep@acme.example")
    response = client.post("/app/sales/opportunities/new/", form_data(deals, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Opportunity.objects.filter(name="Hangzhou expansion").exists()


def test_stage_choices_follow_the_chosen_pipeline(deals):
    other = Pipeline.objects.create(name="Renewals")
    due = Stage.objects.create(pipeline=other, name="Due")
    client = signed_in(HOST, "rep@acme.example")
    response = client.get(f"/app/sales/opportunities/new/?pipeline={other.pk}")
    assert list(response.context["form"].fields["stage"].queryset) == [due]
    response = client.get("/app/sales/opportunities/new/")
    assert due not in response.context["form"].fields["stage"].queryset


def test_globex_pages_do_not_show_acmes_opportunities(deals, globex):
    deal = deals["deals"]["Cloud upgrade"]
    with tenant_context(globex.tenant):
        client = signed_in(globex.host, "admin@globex.example")
        assert "Cloud upgrade" not in client.get("/app/sales/pipeline/").content.decode()
        assert client.get(f"/app/sales/opportunities/{deal.pk}/").status_code == 404
        assert client.get(f"/app/sales/opportunities/{deal.pk}/edit/").status_code == 404


def test_amounts_hidden_from_reps_stay_hidden_on_the_board_list_detail_and_api(deals):
    FieldRestriction.objects.create(entity="sales.opportunity", field="amount",
                                    hidden_from=[SALES_REP])
    client = signed_in(HOST, "rep@acme.example")
    board = client.get("/app/sales/pipeline/").content.decode()
    assert "Cloud upgrade" in board
    assert "1200.10" not in board
    assert "1500.15" not in board  # nor the column total
    deal = deals["deals"]["Cloud upgrade"]
    assert "1200.10" not in client.get("/app/sales/opportunities/").content.decode()
    assert "1200.10" not in client.get(
        f"/app/sales/opportunities/{deal.pk}/").content.decode()
    assert "amount" not in client.get(f"/api/v1/opportunities/{deal.pk}/").json()
    assert client.get("/api/v1/opportunities/?amount_min=1").status_code == 400
    assert client.get("/api/v1/opportunities/?ordering=amount").status_code == 400
    admin_board = signed_in(HOST, "admin@acme.example").get("/app/sales/pipeline/")
    assert "1200.10" in admin_board.content.decode()


def test_a_pushed_move_leaves_the_amount_out_for_those_it_is_hidden_from(deals, monkeypatch):
    FieldRestriction.objects.create(entity="sales.opportunity", field="amount",
                                    hidden_from=[SALES_REP])
    sent = []
    monkeypatch.setattr("realtime.groups.push", sent.extend)
    deal = deals["deals"]["Cloud upgrade"]
    pipeline_services.push_move(deal, deals["stages"][0], None)
    by_group = {group.rsplit(".", 1)[1]: message["board"] for group, message in sent}
    admin = get_user_model().objects.get(email="admin@acme.example")
    assert by_group[str(admin.pk)]["amount"] == "1200.10"
    assert "amount" not in by_group[str(deals["rep"].pk)]
    assert by_group[str(deals["rep"].pk)]["name"] == "Cloud upgrade"
