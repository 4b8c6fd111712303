"""Opportunities, pipelines and stages over the API: CRUD, rules, filters, ordering, custom
fields, visibility by team, admin-only configuration and tenant isolation."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Team
from crm_apps.customization.models import CustomField
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import post, signed_in

HOST = "acme.localhost"


@pytest.fixture
def deals(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-deals", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("position"))
    account = Account.objects.create(name="杭州云计算", owner=rep)
    made = {}
    for name, owner, amount, close, stage in [
        ("Cloud upgrade", rep, "1200.00", "2026-12-01", 0),
        ("Support plan", rep, "300.50", "2027-02-15", 1),
        ("Southern deal", rep2, "9000.00", "2026-12-20", 1),
    ]:
        made[name] = Opportunity.objects.create(
            name=name, owner=owner, amount=Decimal(amount), expected_close=close,
            pipeline=pipeline, stage=stages[stage], account=account if owner == rep else None)
    return {"rep": rep, "rep2": rep2, "pipeline": pipeline, "stages": stages,
            "account": account, "deals": made, "north": north}


def names(response):
    assert response.status_code == 200, response.content[:300]
    return sorted(row["name"] for row in response.json()["results"])


def test_a_rep_creates_reads_updates_and_deletes_an_opportunity(deals):
    client = signed_in(HOST, "rep@acme.example")
    created = post(client, "/api/v1/opportunities/", {
        "name": "New deal", "amount": "1500.25", "account": deals["account"].pk,
        "expected_close": "2027-01-31"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"] == deals["rep"].pk
    assert body["pipeline"] == deals["pipeline"].pk
    assert body["stage"] == deals["stages"][0].pk  # the pipeline's first stage
    assert body["currency"] == deals["pipeline"].currency
    assert body["amount"] == "1500.25"
    path = f"/api/v1/opportunities/{body['id']}/"
    won = deals["stages"][-2]
    assert won.outcome == "won"
    changed = client.patch(path, json.dumps({"stage": won.pk, "currency": "usd"}),
                           content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["forecast_category"] == "closed"
    assert changed.json()["closed_at"]
    assert changed.json()["currency"] == "USD"
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert Opportunity.everything.get(pk=body["id"]).deleted_at is not None


@pytest.mark.parametrize(("payload", "field"), [
    ({"amount": "10"}, "name"),
    ({"name": "X", "amount": "-1"}, "amount"),
    ({"name": "X", "amount": "abc"}, "amount"),
    ({"name": "X", "currency": "RMB1"}, "currency"),
    ({"name": "X", "currency": "元元元"}, "currency"),
    ({"name": "X", "expected_close": "soon"}, "expected_close"),
    ({"name": "X", "forecast_category": "maybe"}, "forecast_category"),
    ({"name": "X", "stage": "LOST"}, "lost_reason"),
    ({"name": "X", "stage": "OTHER"}, "stage"),
    ({"name": "X", "custom": {"nope": 1}}, "custom"),
])
def test_bad_values_are_400_with_field_errors(deals, payload, field):
    payload = dict(payload)
    if payload.get("stage") == "LOST":
        payload["stage"] = deals["stages"][-1].pk
    elif payload.get("stage") == "OTHER":
        other = Pipeline.objects.create(name="Renewals")
        payload["stage"] = Stage.objects.create(pipeline=other, name="Due").pk
        payload["pipeline"] = deals["pipeline"].pk  # a stage of another pipeline
    client = signed_in(HOST, "rep@acme.example")
    response = post(client, "/api/v1/opportunities/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_malformed_json_is_a_400(deals):
    client = signed_in(HOST, "rep@acme.example")
    response = client.post("/api/v1/opportunities/", "{name: ",
                           content_type="application/json")
    assert response.status_code == 400


def test_visibility_follows_role_and_team(deals):
    assert names(signed_in(HOST, "rep@acme.example").get("/api/v1/opportunities/")) == [
        "Cloud upgrade", "Support plan"]
    assert names(signed_in(HOST, "rep2@acme.example").get("/api/v1/opportunities/")) == [
        "Southern deal"]
    assert len(names(signed_in(HOST, "admin@acme.example").get("/api/v1/opportunities/"))) == 3
    southern = deals["deals"]["Southern deal"]
    rep = signed_in(HOST, "rep@acme.example")
    assert rep.get(f"/api/v1/opportunities/{southern.pk}/").status_code == 404
    assert rep.patch(f"/api/v1/opportunities/{southern.pk}/", json.dumps({"name": "Mine"}),
                     content_type="application/json").status_code == 404


@pytest.mark.parametrize(("query", "expected"), [
    ("amount_min=1000", ["Cloud upgrade", "Southern deal"]),
    ("amount_max=1000", ["Support plan"]),
    ("expected_close_after=2027-01-01", ["Support plan"]),
    ("expected_close_before=2026-12-10", ["Cloud upgrade"]),
    ("q=support", ["Support plan"]),
    ("q=杭州", ["Cloud upgrade", "Support plan"]),
    ("forecast_category=pipeline", ["Cloud upgrade", "Southern deal", "Support plan"]),
    ("forecast_category=commit", []),
])
def test_filters(deals, query, expected):
    client = signed_in(HOST, "admin@acme.example")
    assert names(client.get(f"/api/v1/opportunities/?{query}")) == expected


def test_filters_by_stage_owner_team_and_pipeline(deals):
    client = signed_in(HOST, "admin@acme.example")
    stage = deals["stages"][1].pk
    assert names(client.get(f"/api/v1/opportunities/?stage={stage}")) == [
        "Southern deal", "Support plan"]
    assert names(client.get(f"/api/v1/opportunities/?owner={deals['rep2'].pk}")) == [
        "Southern deal"]
    Opportunity.objects.filter(name="Support plan").update(team=deals["north"])
    assert names(client.get(f"/api/v1/opportunities/?team={deals['north'].pk}")) == [
        "Support plan"]
    assert len(names(client.get(
        f"/api/v1/opportunities/?pipeline={deals['pipeline'].pk}"))) == 3


@pytest.mark.parametrize("query", ["amount_min=lots", "expected_close_after=soon",
                                   "stage=abc", "forecast_category=maybe",
                                   "ordering=nonsense"])
def test_bad_filters_are_400_or_ignored_never_500(deals, query):
    client = signed_in(HOST, "admin@acme.example")
    response = client.get(f"/api/v1/opportunities/?{query}")
    assert response.status_code in (200, 400)
    if query != "ordering=nonsense":
        assert response.status_code == 400


def test_ordering_and_cursor_pages(deals):
    client = signed_in(HOST, "admin@acme.example")
    response = client.get("/api/v1/opportunities/?ordering=-amount&page_size=2")
    body = response.json()
    assert [row["name"] for row in body["results"]] == ["Southern deal", "Cloud upgrade"]
    assert "cursor=" in body["next"]
    rest = client.get(body["next"]).json()
    assert [row["name"] for row in rest["results"]] == ["Support plan"]
    assert rest["next"] is None


def test_custom_fields_are_written_read_and_filtered(deals):
    CustomField.objects.create(entity="sales.opportunity", code="region", label="Region",
                               type="text")
    client = signed_in(HOST, "rep@acme.example")
    created = post(client, "/api/v1/opportunities/", {"name": "East", "custom": {
        "region": "华东"}})
    assert created.status_code == 201, created.content
    assert created.json()["custom"] == {"region": "华东"}
    assert names(client.get("/api/v1/opportunities/?cf_region=华东")) == ["East"]


def test_pipelines_and_stages_are_read_by_staff_and_changed_by_admins(deals):
    rep = signed_in(HOST, "rep@acme.example")
    listed = rep.get("/api/v1/pipelines/")
    assert listed.status_code == 200
    first = listed.json()["results"][0]
    assert [stage["name"] for stage in first["stages"]][0] == "Prospecting"
    assert post(rep, "/api/v1/pipelines/", {"name": "Renewals"}).status_code == 403
    admin = signed_in(HOST, "admin@acme.example")
    created = post(admin, "/api/v1/pipelines/", {"name": "Renewals", "currency": "usd"})
    assert created.status_code == 201, created.content
    assert created.json()["currency"] == "USD"
    pipeline = created.json()["id"]
    assert post(admin, "/api/v1/stages/", {"pipeline": pipeline, "name": "Due",
                                           "probability": 101}).status_code == 400
    assert post(admin, "/api/v1/stages/", {"pipeline": pipeline, "name": "Due",
                                           "probability": -5}).status_code == 400
    due = post(admin, "/api/v1/stages/", {"pipeline": pipeline, "name": "Due",
                                          "probability": 40}).json()
    signed = post(admin, "/api/v1/stages/", {"pipeline": pipeline, "name": "Signed",
                                             "probability": 100, "outcome": "won"}).json()
    assert (due["position"], signed["position"]) == (0, 1)
    reordered = post(admin, f"/api/v1/pipelines/{pipeline}/reorder-stages/",
                     {"stages": [signed["id"], due["id"]]})
    assert reordered.status_code == 200, reordered.content
    assert [stage["name"] for stage in reordered.json()["stages"]] == ["Signed", "Due"]
    assert post(admin, f"/api/v1/pipelines/{pipeline}/reorder-stages/",
                {"stages": [signed["id"]]}).status_code == 400
    assert post(rep, f"/api/v1/pipelines/{pipeline}/reorder-stages/",
                {"stages": [signed["id"], due["id"]]}).status_code == 403


def test_another_tenant_sees_none_of_acmes_opportunities(deals, globex):
    deal = deals["deals"]["Cloud upgrade"]
    with tenant_context(globex.tenant):
        client = signed_in(globex.host, "admin@globex.example")
        assert names(client.get("/api/v1/opportunities/")) == []
        assert client.get(f"/api/v1/opportunities/{deal.pk}/").status_code == 404
        assert client.delete(f"/api/v1/opportunities/{deal.pk}/").status_code == 404
    deal.refresh_from_db()
    assert deal.deleted_at is None
