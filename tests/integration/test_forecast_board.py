"""The forecast page's rows come from a few grouped queries: the same numbers as the forecast
of each scope on its own, and as many queries however many reps, teams and deals there are."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.forecast import forecasting, periods
from crm_apps.forecast.models import Quota
from crm_apps.sales.models import Opportunity
from tests.integration.test_forecast import deals  # noqa: F401 - the shared data set


def viewers(deals):  # noqa: F811
    admin = get_user_model().objects.get(email="admin@acme.example")
    return {"admin": admin, "manager": deals["manager"], "rep": deals["rep"],
            "rep2": deals["rep2"]}


@pytest.mark.parametrize("code", ["2026-11", "2026-Q4", "2026-10", "2027-Q1"])
@pytest.mark.parametrize("viewer", ["admin", "manager", "rep", "rep2"])
def test_the_page_rows_equal_each_scopes_own_forecast(deals, code, viewer):  # noqa: F811
    user = viewers(deals)[viewer]
    period = periods.parse(code)
    board = forecasting.board(period, user)
    assert board["reps"]
    if code == "2026-11":  # a month every viewer has deals in
        assert board["total"].weighted_pipeline > 0
        assert board["total"].closed_won > 0
    for scope, numbers in [*board["reps"], *board["teams"]]:
        assert numbers == forecasting.forecast(scope, period, user), scope.code
    assert board["total"] == forecasting.forecast(forecasting.TENANT, period, user)


def test_the_page_costs_the_same_queries_with_more_reps_and_teams(deals):  # noqa: F811
    admin = viewers(deals)["admin"]
    period = periods.parse("2026-11")

    def board_queries():
        with CaptureQueriesContext(connection) as queries:
            forecasting.board(period, admin)
        return len(queries)

    board_queries()  # what is read once per request (roles, teams) is read
    before = board_queries()
    pipeline_stage = Opportunity.objects.filter(owner=deals["rep"]).first().stage
    for number in range(4):
        team = Team.objects.create(name=f"Extra {number}")
        for seat in range(3):
            rep = create_user(email=f"extra-{number}-{seat}@acme.example",
                              password="test-pass-123", role=SALES_REP)
            team.members.add(rep)
            Quota.objects.create(user=rep, period_start=period.start, amount=Decimal("10"))
            Opportunity.objects.create(
                name=f"Extra {number}.{seat}", owner=rep, team=team,
                pipeline=pipeline_stage.pipeline, stage=pipeline_stage,
                amount=Decimal("100.00"), expected_close=date(2026, 11, 3))
    after = board_queries()
    assert after == before
    assert before <= 16  # half of them are the schema's SET search_path
