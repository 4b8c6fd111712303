"""Over a real websocket: a board whose user can no longer see a card (reassigned to another
team, moved to another pipeline, deleted) is told to drop it, with where it was counted; the
board of a user who now sees it is told to add it; a move names the page that made it."""

import asyncio
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tenants.models import Tenant
from tests.fixtures.sockets import login_cookie, next_message, open_socket
from tests.fixtures.world import PASSWORD, admin_token

pytestmark = pytest.mark.usefixtures("committed")
HOST = "acme.localhost"


@pytest.fixture
def teams(live_asgi, committed):
    """rep (team North) owns a deal; west@ is in team West; a second pipeline (removed after)."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        rep = get_user_model().objects.get(email="rep@acme.example")
        west_rep = create_user(email="west@acme.example", password=PASSWORD, role=SALES_REP)
        north = Team.objects.create(name="Visibility North")
        north.members.add(rep)
        west = Team.objects.create(name="Visibility West")
        west.members.add(west_rep)
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.order_by("position"))
        renewals = Pipeline.objects.create(name="Visibility renewals")
        due = Stage.objects.create(pipeline=renewals, name="Due")
        deal = Opportunity.objects.create(name="Visible deal", pipeline=pipeline, owner=rep,
                                          stage=stages[0], amount=Decimal("1234.50"),
                                          team=north)
    yield {"tenant": tenant, "deal": deal, "stages": stages, "west": west,
           "west_rep": west_rep, "pipeline": pipeline, "renewals": renewals, "due": due}
    with tenant_context(tenant):
        Opportunity.everything.filter(pk=deal.pk).delete()
        Stage.objects.filter(pk=due.pk).delete()
        renewals.delete()
        Team.objects.filter(pk__in=[north.pk, west.pk]).delete()
        west_rep.delete()


def admin_request(live, tenant, method: str, path: str, **kwargs):
    token = admin_token(tenant)
    with live.client(HOST) as client:
        return client.request(method, path, headers={"Authorization": f"Token {token}",
                                                     **kwargs.pop("headers", {})}, **kwargs)


def watch(live, teams, change):
    """Open rep's and west@'s boards' sockets, make ``change``, and return what each got
    (None: nothing within 1.5 s)."""
    rep_session = login_cookie(live, HOST, "rep@acme.example")
    west_session = login_cookie(live, HOST, "west@acme.example")

    async def scenario():
        async with open_socket(live, HOST, session=rep_session) as rep_socket, \
                open_socket(live, HOST, session=west_session) as west_socket:
            assert (await next_message(rep_socket))["type"] == "hello"
            assert (await next_message(west_socket))["type"] == "hello"
            response = await asyncio.to_thread(change)
            assert response.status_code in (200, 204), response.text[:300]
            got = []
            for socket in (rep_socket, west_socket):
                try:
                    got.append(await next_message(socket, timeout=1.5))
                except TimeoutError:
                    got.append(None)
            return got

    return asyncio.run(scenario())


def test_a_card_reassigned_to_another_team_leaves_one_board_and_joins_another(live_asgi,
                                                                               teams):
    deal, first = teams["deal"], teams["stages"][0]
    rep_got, west_got = watch(live_asgi, teams, lambda: admin_request(
        live_asgi, teams["tenant"], "PATCH", f"/api/v1/opportunities/{deal.pk}/",
        json={"owner": teams["west_rep"].pk, "team": teams["west"].pk}))
    assert rep_got["type"] == "board"
    assert rep_got["board"] == {
        "id": deal.pk, "removed": True, "actor": rep_got["board"]["actor"],
        "from_pipeline": teams["pipeline"].pk, "from_stage": first.pk,
        "from_amount": "1234.50"}
    assert "name" not in rep_got["board"]  # a card you no longer see tells you nothing more
    assert west_got["type"] == "board"
    card = west_got["board"]
    assert card["id"] == deal.pk
    assert card["stage"] == first.pk
    assert card["amount"] == "1234.50"
    assert card["from_stage"] is None  # new to this board: nothing to take off a column
    assert "removed" not in card


def test_a_card_moved_to_another_pipeline_says_where_it_was_counted(live_asgi, teams):
    deal = teams["deal"]
    rep_got, west_got = watch(live_asgi, teams, lambda: admin_request(
        live_asgi, teams["tenant"], "PATCH", f"/api/v1/opportunities/{deal.pk}/",
        json={"pipeline": teams["renewals"].pk, "stage": teams["due"].pk,
              "amount": "2000.00"}))
    assert west_got is None  # never saw it, does not now
    card = rep_got["board"]
    assert card["pipeline"] == teams["renewals"].pk
    assert card["stage"] == teams["due"].pk
    assert card["from_pipeline"] == teams["pipeline"].pk
    assert card["from_stage"] == teams["stages"][0].pk
    assert card["from_amount"] == "1234.50"
    assert card["amount"] == "2000.00"


def test_a_deleted_card_leaves_the_boards_and_a_move_names_its_page(live_asgi, teams):
    deal, second = teams["deal"], teams["stages"][1]
    rep_got, west_got = watch(live_asgi, teams, lambda: admin_request(
        live_asgi, teams["tenant"], "POST", f"/api/v1/opportunities/{deal.pk}/move/",
        json={"stage": second.pk}, headers={"X-Board-Client": "tab-42"}))
    assert west_got is None
    assert rep_got["board"]["origin"] == "tab-42"
    assert rep_got["board"]["stage"] == second.pk
    assert rep_got["board"]["from_stage"] == teams["stages"][0].pk

    rep_got, west_got = watch(live_asgi, teams, lambda: admin_request(
        live_asgi, teams["tenant"], "DELETE", f"/api/v1/opportunities/{deal.pk}/"))
    assert west_got is None
    assert rep_got["board"]["removed"] is True
    assert rep_got["board"]["from_stage"] == second.pk
