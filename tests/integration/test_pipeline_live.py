"""A move on the board reaches, over a real websocket, the boards of the staff who can see
the opportunity, and not those of a user of another team."""

import asyncio
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.sales.models import Opportunity, Pipeline
from tenants.models import Tenant
from tests.fixtures.sockets import login_cookie, next_message, open_socket
from tests.fixtures.world import PASSWORD, admin_token

pytestmark = pytest.mark.usefixtures("committed")


@pytest.fixture
def two_teams(live_asgi, committed):
    """rep in team North with a North opportunity; south@ in team South (removed after)."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        rep = get_user_model().objects.get(email="rep@acme.example")
        south_rep = create_user(email="south@acme.example", password=PASSWORD,
                                role=SALES_REP)
        north = Team.objects.create(name="Live North")
        north.members.add(rep)
        south = Team.objects.create(name="Live South")
        south.members.add(south_rep)
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.order_by("position"))
        deal = Opportunity.objects.create(name="Live deal", pipeline=pipeline, stage=stages[0],
                                          amount=Decimal("42.00"), team=north)
    yield {"tenant": tenant, "deal": deal, "target": stages[1]}
    with tenant_context(tenant):
        Opportunity.everything.filter(pk=deal.pk).delete()
        Team.objects.filter(pk__in=[north.pk, south.pk]).delete()
        south_rep.delete()


def test_a_colleague_sees_the_move_and_another_team_does_not(live_asgi, two_teams):
    host = "acme.localhost"
    rep_session = login_cookie(live_asgi, host, "rep@acme.example")
    south_session = login_cookie(live_asgi, host, "south@acme.example")
    token = admin_token(two_teams["tenant"])
    deal, target = two_teams["deal"], two_teams["target"]

    def admin_moves():
        with live_asgi.client(host) as client:
            return client.post(f"/api/v1/opportunities/{deal.pk}/move/",
                               json={"stage": target.pk},
                               headers={"Authorization": f"Token {token}"})

    async def scenario():
        async with open_socket(live_asgi, host, session=rep_session) as rep_socket, \
                open_socket(live_asgi, host, session=south_session) as south_socket:
            assert (await next_message(rep_socket))["type"] == "hello"
            assert (await next_message(south_socket))["type"] == "hello"
            response = await asyncio.to_thread(admin_moves)
            assert response.status_code == 200, response.text[:300]
            pushed = await next_message(rep_socket)
            with pytest.raises(TimeoutError):
                await next_message(south_socket, timeout=1.5)
            return pushed

    pushed = asyncio.run(scenario())
    assert pushed["type"] == "board"
    assert pushed["board"]["id"] == deal.pk
    assert pushed["board"]["stage"] == target.pk
    assert pushed["board"]["from_stage"] == deal.stage_id
    assert pushed["board"]["amount"] == "42.00"
    assert pushed["board"]["name"] == "Live deal"
