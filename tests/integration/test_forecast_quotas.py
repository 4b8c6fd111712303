"""Quotas over the API: who writes and reads them, and validation of owner and period."""

import json

import pytest
from django.contrib.auth import get_user_model

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.customers.models import Team
from crm_apps.forecast.models import Quota
from tests.fixtures.world import admin_token, host_client, post, signed_in


@pytest.fixture
def people(in_acme):
    rep = get_user_model().objects.get(email="rep@acme.example")
    other = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(other)
    return {"rep": rep, "other": other, "manager": manager, "north": north, "south": south}


def test_a_manager_sets_quotas_and_a_rep_reads_only_their_own(in_acme, people):
    manager = signed_in(in_acme.host, "boss@acme.example")
    made = post(manager, "/api/v1/quotas/", {"user": people["rep"].pk,
                                             "period_start": "2026-11-01", "amount": "1000.50"})
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == "1000.50"
    assert made.json()["period_kind"] == "month"
    assert post(manager, "/api/v1/quotas/", {
        "team": people["south"].pk, "period_kind": "quarter", "period_start": "2026-10-01",
        "amount": "9000"}).status_code == 201
    Quota.objects.create(team=people["north"], period_start="2026-11-01", amount=5)
    Quota.objects.create(user=people["other"], period_start="2026-11-01", amount=7)

    rep = signed_in(in_acme.host, "rep@acme.example")
    listed = rep.get("/api/v1/quotas/").json()["results"]
    # Their own and their team's; not South's nor another rep's.
    assert {(row["user"], row["team"]) for row in listed} == {
        (people["rep"].pk, None), (None, people["north"].pk)}
    assert post(rep, "/api/v1/quotas/", {"user": people["rep"].pk,
                                         "period_start": "2026-12-01",
                                         "amount": "1"}).status_code == 403
    quota = made.json()["id"]
    assert rep.patch(f"/api/v1/quotas/{quota}/", json.dumps({"amount": "1"}),
                     content_type="application/json").status_code == 403
    admin = host_client(in_acme.host)
    admin.defaults["HTTP_AUTHORIZATION"] = f"Token {admin_token(in_acme.tenant)}"
    assert len(admin.get("/api/v1/quotas/").json()["results"]) == 4
    changed = admin.patch(f"/api/v1/quotas/{quota}/", json.dumps({"amount": "1200"}),
                          content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert admin.get(f"/api/v1/quotas/?team={people['south'].pk}").json()["results"][0][
        "amount"] == "9000.00"


@pytest.mark.parametrize(("payload", "field"), [
    ({"period_start": "2026-11-02"}, "period_start"),
    ({"period_kind": "quarter", "period_start": "2026-11-01"}, "period_start"),
    ({"period_kind": "quarter", "period_start": "2026-10-15"}, "period_start"),
    ({"period_kind": "year"}, "period_kind"),
    ({"period_start": "November"}, "period_start"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "lots"}, "amount"),
    ({"currency": "yuan"}, "currency"),
    ({"user": None}, "non_field_errors"),
    ({"team": "TEAM"}, "non_field_errors"),
    ({"user": 999999}, "user"),
])
def test_bad_quotas_are_a_400_with_the_field(in_acme, people, payload, field):
    body = {"user": people["rep"].pk, "period_start": "2026-10-01", "amount": "10", **payload}
    if body.get("team") == "TEAM":
        body["team"] = people["north"].pk  # both a rep and a team
    client = signed_in(in_acme.host, "admin@acme.example")
    response = post(client, "/api/v1/quotas/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_one_quota_per_owner_and_period(in_acme, people):
    client = signed_in(in_acme.host, "admin@acme.example")
    body = {"user": people["rep"].pk, "period_start": "2026-10-01", "amount": "10"}
    assert post(client, "/api/v1/quotas/", body).status_code == 201
    again = post(client, "/api/v1/quotas/", body)
    assert again.status_code == 400
    assert "period_start" in again.json()
    # The same start as a quarter is another period.
    assert post(client, "/api/v1/quotas/", {**body, "period_kind": "quarter"}).status_code == 201
    assert client.post("/api/v1/quotas/", "{not json", content_type="application/json"
                       ).status_code == 400


def test_globex_cannot_see_or_change_acmes_quotas(in_acme, people, globex):
    quota = Quota.objects.create(user=people["rep"], period_start="2026-11-01", amount=5)
    client = signed_in(globex.host, "admin@globex.example")
    assert client.get("/api/v1/quotas/").json()["results"] == []
    assert client.patch(f"/api/v1/quotas/{quota.pk}/", json.dumps({"amount": "1"}),
                        content_type="application/json").status_code == 404
    assert client.delete(f"/api/v1/quotas/{quota.pk}/").status_code == 404
