"""Moving opportunities on the board: won/lost rules, order in a column, the audit entry,
column totals by visibility, and the move over the API (400s, visibility, tenants)."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from core import audit
from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Team
from crm_apps.sales import pipeline_services
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import post, signed_in


@pytest.fixture
def board(in_acme):
    """The default pipeline with cards of rep (team North) and rep2 (team South)."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-board", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    admin = users.get(email="admin@acme.example")
    rep = users.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = {stage.name: stage for stage in pipeline.stages.all()}
    first = pipeline.stages.order_by("position").first()
    account = Account.objects.create(name="Hangzhou Cloud", owner=rep)

    def card(name, owner, amount, stage=first, position=0.0, team=None):
        return Opportunity.objects.create(name=name, pipeline=pipeline, stage=stage,
                                          amount=Decimal(amount), owner=owner, team=team,
                                          account=account, board_position=position)

    cards = {
        "a": card("Deal A", rep, "1000.10", position=1),
        "b": card("Deal B", rep, "250.05", position=2),
        "c": card("Deal C", rep, "99.99", position=3),
        "south": card("South deal", rep2, "5000.00", position=4, team=south),
    }
    return {"pipeline": pipeline, "stages": stages, "first": first, "cards": cards,
            "admin": admin, "rep": rep, "rep2": rep2, "south": south}


def column_names(stage):
    return list(Opportunity.objects.filter(stage=stage)
                .order_by("board_position", "id").values_list("name", flat=True))


def test_won_closes_with_the_closed_category_and_reopening_clears_it(board):
    won = board["stages"]["Closed won"]
    card = pipeline_services.move(board["cards"]["a"], won, user=board["rep"])
    assert card.closed_at is not None
    assert card.forecast_category == "closed"
    card = pipeline_services.move(card, board["first"], user=board["rep"])
    card.refresh_from_db()
    assert card.closed_at is None
    assert card.forecast_category == "pipeline"
    assert card.stage == board["first"]


def test_lost_needs_a_reason(board):
    lost = board["stages"]["Closed lost"]
    card = board["cards"]["a"]
    with pytest.raises(ValidationError) as error:
        pipeline_services.move(card, lost, user=board["rep"])
    assert "lost_reason" in error.value.message_dict
    card.refresh_from_db()
    assert card.stage == board["first"]
    moved = pipeline_services.move(card, lost, user=board["rep"], lost_reason="Price")
    assert moved.lost_reason == "Price"
    assert moved.closed_at is not None
    assert moved.forecast_category == "omitted"


def test_a_move_is_audited_with_the_actor_and_old_and_new_stage(board):
    target = board["stages"]["Qualification"]
    card = pipeline_services.move(board["cards"]["b"], target, user=board["rep"])
    entry = audit.history(card).first()
    assert entry.actor == board["rep"]
    assert entry.changes["stage"] == [board["first"].pk, target.pk]


def test_before_after_and_index_place_the_card_in_the_column(board):
    cards, first, rep = board["cards"], board["first"], board["rep"]
    pipeline_services.move(cards["c"], first, user=rep, before=cards["a"].pk)
    assert column_names(first) == ["Deal C", "Deal A", "Deal B", "South deal"]
    pipeline_services.move(cards["c"], first, user=rep, after=cards["a"].pk)
    assert column_names(first) == ["Deal A", "Deal C", "Deal B", "South deal"]
    # An index counts the cards the rep sees (not South's): index 2 is after Deal B.
    pipeline_services.move(cards["a"], first, user=rep, position=2)
    assert column_names(first) == ["Deal C", "Deal B", "Deal A", "South deal"]


def test_a_column_keeps_its_order_when_midpoints_run_out(board):
    cards, first, rep = board["cards"], board["first"], board["rep"]
    for _ in range(60):  # halving the same gap 60 times exhausts a float
        pipeline_services.move(cards["c"], first, user=rep, before=cards["b"].pk)
        pipeline_services.move(cards["b"], first, user=rep, before=cards["c"].pk)
    assert column_names(first)[:3] == ["Deal A", "Deal B", "Deal C"]


def test_a_card_the_rep_cannot_see_is_no_landmark(board):
    cards = board["cards"]
    with pytest.raises(ValidationError) as error:
        pipeline_services.move(cards["a"], board["first"], user=board["rep"],
                               before=cards["south"].pk)
    assert "before" in error.value.message_dict
    pipeline_services.move(cards["a"], board["first"], user=board["admin"],
                           before=cards["south"].pk)
    assert column_names(board["first"]) == ["Deal B", "Deal C", "Deal A", "South deal"]


def test_a_stage_of_another_pipeline_is_refused(board):
    other = Pipeline.objects.create(name="Renewals")
    stage = Stage.objects.create(pipeline=other, name="Due", position=0)
    with pytest.raises(ValidationError) as error:
        pipeline_services.move(board["cards"]["a"], stage, user=board["rep"])
    assert "stage" in error.value.message_dict


def test_a_rep_cannot_move_a_card_they_cannot_see(board):
    with pytest.raises(Opportunity.DoesNotExist):
        pipeline_services.move(board["cards"]["south"], board["stages"]["Qualification"],
                               user=board["rep"])


def test_column_totals_count_only_what_the_user_sees(board):
    first = board["first"]
    rep_totals = pipeline_services.column_totals(board["pipeline"], board["rep"])[first.pk]
    assert rep_totals == {"count": 3, "total": Decimal("1350.14")}
    admin_totals = pipeline_services.column_totals(board["pipeline"], board["admin"])[first.pk]
    assert admin_totals == {"count": 4, "total": Decimal("6350.14")}
    assert isinstance(admin_totals["total"], Decimal)


# --- over the API --------------------------------------------------------------------------


def test_the_move_endpoint_moves_and_answers_the_card(board):
    client = signed_in("acme.localhost", "rep@acme.example")
    won = board["stages"]["Closed won"]
    card = board["cards"]["a"]
    response = post(client, f"/api/v1/opportunities/{card.pk}/move/", {"stage": won.pk})
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == won.pk
    assert response.json()["forecast_category"] == "closed"
    assert response.json()["closed_at"]


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "stage"),
    ({"stage": 999999}, "stage"),
    ({"stage": "x"}, "stage"),
    ({"stage": "LOST"}, "lost_reason"),
    ({"stage": "FIRST", "before": 999999}, "before"),
    ({"stage": "FIRST", "before": 1, "after": 2}, "after"),
    ({"stage": "FIRST", "position": -1}, "position"),
])
def test_bad_moves_are_400_with_field_errors(board, payload, field):
    payload = dict(payload)
    if payload.get("stage") == "LOST":
        payload["stage"] = board["stages"]["Closed lost"].pk
    elif payload.get("stage") == "FIRST":
        payload["stage"] = board["first"].pk
    client = signed_in("acme.localhost", "rep@acme.example")
    response = post(client, f"/api/v1/opportunities/{board['cards']['a'].pk}/move/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_malformed_move_json_is_a_400(board):
    client = signed_in("acme.localhost", "rep@acme.example")
    response = client.post(f"/api/v1/opportunities/{board['cards']['a'].pk}/move/",
                           "{stage: ", content_type="application/json")
    assert response.status_code == 400


def test_a_rep_moving_a_card_of_another_team_gets_404(board):
    client = signed_in("acme.localhost", "rep@acme.example")
    response = post(client, f"/api/v1/opportunities/{board['cards']['south'].pk}/move/",
                    {"stage": board["first"].pk})
    assert response.status_code == 404


def test_globex_cannot_move_acmes_opportunity(board, globex):
    card = board["cards"]["a"]
    with tenant_context(globex.tenant):
        globex_stage = Stage.objects.order_by("id").first().pk
        client = signed_in(globex.host, "admin@globex.example")
        response = post(client, f"/api/v1/opportunities/{card.pk}/move/",
                        {"stage": globex_stage})
        assert response.status_code == 404
        assert client.get(f"/api/v1/opportunities/{card.pk}/").status_code == 404
    card.refresh_from_db()
    assert card.stage == board["first"]


def test_boards_are_told_of_moves_made_by_the_api_and_the_edit_form(
        board, monkeypatch, django_capture_on_commit_callbacks):
    pushed = []
    monkeypatch.setattr(pipeline_services, "push_move",
                        lambda card, old, actor, **_kwargs: pushed.append(
                            (card.pk, old.pk, card.stage_id)))
    card, target = board["cards"]["a"], board["stages"]["Qualification"]
    client = signed_in("acme.localhost", "rep@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"/api/v1/opportunities/{card.pk}/move/", {"stage": target.pk})
        assert response.status_code == 200
        client.patch(f"/api/v1/opportunities/{card.pk}/", json.dumps({"stage": board["first"].pk}),
                     content_type="application/json")
        client.patch(f"/api/v1/opportunities/{card.pk}/", '{"name": "Renamed"}',
                     content_type="application/json")  # no stage change: nothing to push
        client.post(f"/app/sales/opportunities/{card.pk}/edit/", {
            "name": "Renamed", "pipeline": board["pipeline"].pk, "stage": target.pk,
            "amount": "1000.10", "currency": "CNY", "forecast_category": "pipeline",
            "owner": board["rep"].pk})
    assert pushed == [(card.pk, board["first"].pk, target.pk),
                      (card.pk, target.pk, board["first"].pk),
                      (card.pk, board["first"].pk, target.pk)]
