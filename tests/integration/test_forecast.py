"""The forecast on a fixed set of opportunities: exact numbers per rep, team and tenant for a
month and a quarter, quotas and attainment, visibility, tenant isolation, bad input, and the
weekly snapshots with the history of forecast against what closed."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.customers.models import Team
from crm_apps.forecast import forecasting, periods, tasks
from crm_apps.forecast.models import ForecastSnapshot, Quota
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import signed_in

D = Decimal


def at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def deals(in_acme):
    """Team North: rep and north_rep (led by a manager); team South: rep2."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    north_rep = create_user(email="north@acme.example", password="test-pass-123",
                            role=SALES_REP)
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep, north_rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)

    pipeline = Pipeline.objects.create(name="Forecast test")
    stage = {
        "p30": Stage.objects.create(pipeline=pipeline, name="Thirty", probability=30),
        "p60": Stage.objects.create(pipeline=pipeline, name="Sixty", probability=60),
        "won": Stage.objects.create(pipeline=pipeline, name="Won", probability=100,
                                    outcome=Stage.Outcome.WON),
        "lost": Stage.objects.create(pipeline=pipeline, name="Lost", probability=0,
                                     outcome=Stage.Outcome.LOST),
    }

    def deal(owner, stage_code, amount, *, close=None, closed=None, category="pipeline",
             team=None):
        return Opportunity.objects.create(
            name=f"{owner.email} {amount}", owner=owner, team=team, pipeline=pipeline,
            stage=stage[stage_code], amount=D(amount), expected_close=close, closed_at=closed,
            forecast_category=category)

    deal(rep, "p60", "1000.00", close=date(2026, 11, 10), category="commit")
    deal(rep, "p30", "333.33", close=date(2026, 11, 20), category="best_case")
    deal(rep, "won", "500.00", closed=at(2026, 11, 5))
    deal(rep, "p60", "2000.00", close=date(2026, 12, 15))
    deal(rep, "lost", "9999.00", close=date(2026, 11, 10), closed=at(2026, 11, 10))
    deal(rep, "p60", "800.00", close=date(2027, 1, 2), category="commit")  # next quarter
    deal(rep, "p60", "10000.00", close=date(2026, 11, 11)).soft_delete()  # in the bin
    deal(north_rep, "p30", "100.00", close=date(2026, 11, 1), category="commit")
    deal(north_rep, "won", "250.50", closed=at(2026, 10, 31, 23))  # October, same quarter
    deal(rep2, "p60", "5000.00", close=date(2026, 11, 30), category="commit", team=south)
    deal(rep2, "won", "700.00", closed=at(2026, 11, 15), team=south)

    month, quarter = date(2026, 11, 1), date(2026, 10, 1)
    Quota.objects.create(user=rep, period_start=month, amount=D("1000"))
    Quota.objects.create(user=rep, period_kind="quarter", period_start=quarter, amount=D("3000"))
    Quota.objects.create(user=north_rep, period_start=month, amount=D("400"))
    Quota.objects.create(user=north_rep, period_start=date(2026, 10, 1), amount=D("200"))
    Quota.objects.create(user=rep2, period_start=month, amount=D("1500"))
    Quota.objects.create(team=south, period_start=month, amount=D("2000"))
    return {"rep": rep, "north_rep": north_rep, "rep2": rep2, "manager": manager,
            "north": north, "south": south}


NOVEMBER, Q4 = periods.parse("2026-11"), periods.parse("2026-Q4")


def numbers(weighted, commit, best, won, quota, attainment):
    return forecasting.Numbers(
        weighted_pipeline=D(weighted), commit=D(commit), best_case=D(best), closed_won=D(won),
        quota=None if quota is None else D(quota),
        attainment=None if attainment is None else D(attainment))


def test_a_reps_month_and_quarter(deals):
    rep = forecasting.Scope("rep", user=deals["rep"])
    # 1000 x 60% + 333.33 x 30% = 699.999, rounded only at the end.
    assert forecasting.forecast(rep, NOVEMBER) == numbers(
        "700.00", "1000.00", "1333.33", "500.00", "1000.00", "0.5000")
    # The quarter adds December's 2000 x 60%; its own quarterly quota wins over the months.
    assert forecasting.forecast(rep, Q4) == numbers(
        "1900.00", "1000.00", "1333.33", "500.00", "3000.00", "0.1667")
    north_rep = forecasting.Scope("rep", user=deals["north_rep"])
    assert forecasting.forecast(north_rep, NOVEMBER) == numbers(
        "30.00", "100.00", "100.00", "0.00", "400.00", "0.0000")
    # No quarterly quota: October's and November's add up; October 31 23:00 is October.
    assert forecasting.forecast(north_rep, Q4) == numbers(
        "30.00", "100.00", "100.00", "250.50", "600.00", "0.4175")


def test_a_teams_numbers_and_which_quota_counts(deals):
    north = forecasting.Scope("team", team=deals["north"])
    # No team quota: the members' quotas add up (1000 + 400).
    assert forecasting.forecast(north, NOVEMBER) == numbers(
        "730.00", "1100.00", "1433.33", "500.00", "1400.00", "0.3571")
    assert forecasting.forecast(north, Q4) == numbers(
        "1930.00", "1100.00", "1433.33", "750.50", "3600.00", "0.2085")
    south = forecasting.Scope("team", team=deals["south"])
    # The team's own quota (2000) wins over its member's (1500).
    assert forecasting.forecast(south, NOVEMBER) == numbers(
        "3000.00", "5000.00", "5000.00", "700.00", "2000.00", "0.3500")


def test_the_whole_tenant_and_no_quota(deals):
    assert forecasting.forecast(forecasting.TENANT, NOVEMBER) == numbers(
        "3730.00", "6100.00", "6433.33", "1200.00", "2900.00", "0.4138")
    assert forecasting.forecast(forecasting.TENANT, Q4) == numbers(
        "4930.00", "6100.00", "6433.33", "1450.50", "5100.00", "0.2844")
    january = forecasting.forecast(forecasting.TENANT, periods.parse("2027-01"))
    assert january == numbers("480.00", "800.00", "800.00", "0.00", None, None)


def test_the_api_answers_the_same_numbers(deals, in_acme):
    admin = signed_in(in_acme.host, "admin@acme.example")
    body = admin.get("/api/v1/forecast/?period=2026-Q4&scope=team:"
                     f"{deals['north'].pk}").json()
    assert body == {
        "weighted_pipeline": "1930.00", "commit": "1100.00", "best_case": "1433.33",
        "closed_won": "750.50", "quota": "3600.00", "attainment": "0.2085",
        "period": "2026-Q4", "period_kind": "quarter", "period_start": "2026-10-01",
        "period_end": "2026-12-31", "scope": f"team:{deals['north'].pk}"}
    rep = admin.get(f"/api/v1/forecast/?period=2026-11&scope=rep:{deals['rep'].pk}").json()
    assert (rep["weighted_pipeline"], rep["attainment"]) == ("700.00", "0.5000")
    assert admin.get("/api/v1/forecast/?period=2026-11").json()["closed_won"] == "1200.00"


def test_a_reps_tenant_forecast_leaves_out_other_teams(deals, in_acme):
    client = signed_in(in_acme.host, "rep@acme.example")
    body = client.get("/api/v1/forecast/?period=2026-11&scope=tenant").json()
    # Team North only: South's 5000 commit and 700 won are not visible to this rep.
    assert (body["weighted_pipeline"], body["commit"], body["best_case"],
            body["closed_won"]) == ("730.00", "1100.00", "1433.33", "500.00")
    assert client.get(f"/api/v1/forecast/?period=2026-11&scope=team:{deals['south'].pk}"
                      ).status_code == 403
    assert client.get(f"/api/v1/forecast/?period=2026-11&scope=rep:{deals['rep2'].pk}"
                      ).status_code == 403
    colleague = client.get(f"/api/v1/forecast/?period=2026-11&scope=rep:"
                           f"{deals['north_rep'].pk}")
    assert colleague.json()["commit"] == "100.00"


@pytest.mark.parametrize("query", [
    "period=2026-13", "period=2026-Q5", "period=november", "period=2026-11-01",
    "period=9999-12", "period=0000-Q1",
    "scope=rep:abc", "scope=team:999999", "scope=rep:999999", "scope=everyone", "scope=rep:",
])
def test_bad_period_or_scope_is_a_400(in_acme, query):
    client = signed_in(in_acme.host, "admin@acme.example")
    response = client.get(f"/api/v1/forecast/?{query}")
    assert response.status_code == 400
    assert set(response.json()) <= {"period", "scope"}


def test_a_customer_is_not_a_rep_scope(in_acme):
    customer = get_user_model().objects.get(email="customer@acme.example")
    client = signed_in(in_acme.host, "admin@acme.example")
    assert client.get(f"/api/v1/forecast/?scope=rep:{customer.pk}").status_code == 400


def test_globex_sees_none_of_acmes_numbers(deals, globex):
    client = signed_in(globex.host, "admin@globex.example")
    body = client.get("/api/v1/forecast/?period=2026-11").json()
    assert (body["weighted_pipeline"], body["closed_won"], body["quota"]) == (
        "0.00", "0.00", None)
    # acme's team ids mean nothing in globex.
    assert client.get(f"/api/v1/forecast/?scope=team:{deals['north'].pk}").status_code == 400
    assert signed_in(globex.host, "rep@globex.example").get(
        "/api/v1/forecast/").status_code == 200


def test_the_forecast_needs_staff(in_acme):
    from tests.fixtures.world import host_client

    assert host_client(in_acme.host).get("/api/v1/forecast/").status_code in (401, 403)


def test_snapshots_are_taken_once_a_day_and_history_compares_with_what_closed(
        deals, in_acme, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2026, 11, 2))
    stored = tasks.take_forecast_snapshots()
    people = 4  # rep, north_rep, rep2, manager
    assert stored == 4 * (1 + people + 2)  # two months and two quarters; tenant, reps, teams
    assert tasks.take_forecast_snapshots() == stored
    assert ForecastSnapshot.objects.count() == stored  # the same day replaces, never adds
    snap = ForecastSnapshot.objects.get(scope="rep", user=deals["rep"], period_kind="month",
                                        period_start=date(2026, 11, 1))
    assert (snap.weighted_pipeline, snap.commit, snap.closed_won, snap.quota) == (
        D("700.00"), D("1000.00"), D("500.00"), D("1000.00"))

    # The rep closes the 1000 commit deal afterwards: history shows forecast beside result.
    won = Stage.objects.get(name="Won")
    deal = Opportunity.objects.get(amount=D("1000.00"))
    deal.stage, deal.closed_at = won, at(2026, 11, 20)
    deal.save()
    client = signed_in(in_acme.host, "rep@acme.example")
    rows = client.get(f"/api/v1/forecast/history/?scope=rep:{deals['rep'].pk}&kind=month"
                      ).json()["results"]
    november = next(row for row in rows if row["period"] == "2026-11")
    assert (november["taken_on"], november["commit"], november["closed_won_then"],
            november["closed_won"], november["commit_gap"]) == (
        "2026-11-02", "1000.00", "500.00", "1500.00", "500.00")
    # Snapshots hold numbers of everyone: a rep gets no tenant-wide history.
    assert client.get("/api/v1/forecast/history/?scope=tenant").json()["results"] == []
    admin = signed_in(in_acme.host, "admin@acme.example")
    assert len(admin.get("/api/v1/forecast/history/?scope=tenant").json()["results"]) == 4
    assert admin.get("/api/v1/forecast/history/?kind=year").status_code == 400


def test_the_periodic_tasks_are_scheduled():
    from django.conf import settings

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {tasks.take_forecast_snapshots.name, tasks.reassign_territories.name} <= (
        tasks_scheduled)


def test_snapshots_stay_in_their_tenant(deals, globex):
    with tenant_context(globex.tenant):
        tasks.take_forecast_snapshots()
        assert not ForecastSnapshot.objects.filter(scope="team").exists()
    assert not ForecastSnapshot.objects.exists()


def test_periods_parse_and_move():
    assert periods.parse("2026-Q4").end == date(2027, 1, 1)
    assert periods.parse("2026-12").shifted(1).code == "2027-01"
    assert periods.parse("2026-Q1").shifted(-1).code == "2025-Q4"
    assert periods.containing(date(2026, 8, 31), "quarter").code == "2026-Q3"
    for bad in ("2026-0", "2026-Q0", "", "26-11"):
        with pytest.raises(ValueError, match=bad or "^$"):
            periods.parse(bad)


def test_the_forecast_page_shows_reps_teams_totals_and_history(deals, in_acme):
    ForecastSnapshot.objects.create(
        taken_on=date(2026, 10, 5), scope="tenant", period_kind="month",
        period_start=date(2026, 11, 1), weighted_pipeline=D("3000"), commit=D("4321.00"),
        best_case=D("5000"), closed_won=D("0"), quota=None)
    page = signed_in(in_acme.host, "admin@acme.example").get(
        "/app/sales/forecast/?period=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("north@acme.example", "North", "South", "3730.00", "6433.33", "1200.00",
                 "2900.00", 'style="width: 41%"', "4321.00", "2026-10", "2026-12",
                 "2026-Q4"):
        assert text in html, text
    assert 'href="/app/sales/territories/"' in html  # the admin's tab
    quarter = signed_in(in_acme.host, "admin@acme.example").get(
        "/app/sales/forecast/?period=2026-Q4").content.decode()
    for text in ("4930.00", "2026-Q3", "2027-Q1"):
        assert text in quarter, text


def test_a_reps_forecast_page_shows_only_their_side(deals, in_acme):
    html = signed_in(in_acme.host, "rep@acme.example").get(
        "/app/sales/forecast/?period=2026-11").content.decode()
    for text in ("North", "730.00"):
        assert text in html, text
    for text in ("South", "rep2@acme.example", "3730.00"):
        assert text not in html, text
    assert 'href="/app/sales/territories/"' not in html  # admins only


@pytest.mark.parametrize("query", ["period=2026-13", "kind=year"])
def test_a_bad_period_on_the_page_is_a_400(in_acme, query):
    page = signed_in(in_acme.host, "admin@acme.example").get(f"/app/sales/forecast/?{query}")
    assert page.status_code == 400
    assert b"alert-danger" in page.content


def test_the_forecast_page_needs_staff(in_acme):
    from tests.fixtures.world import host_client

    assert host_client(in_acme.host).get("/app/sales/forecast/").status_code == 302
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.get("/app/sales/forecast/").status_code == 403
