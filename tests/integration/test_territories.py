"""Territories: matching accounts in position order, the reassignment service, task and API
(tenant admins only), and isolation between tenants."""

import pytest
from django.contrib.auth import get_user_model

from crm_apps.customers.models import Account
from crm_apps.forecast import tasks, territories
from crm_apps.forecast.models import Territory
from tests.fixtures.world import post, signed_in


@pytest.fixture
def map_(in_acme):
    rep = get_user_model().objects.get(email="rep@acme.example")
    east_finance = Territory.objects.create(name="East finance", position=1, regions=["East"],
                                            industries=["Finance", "Insurance"])
    east = Territory.objects.create(name="East", position=2, regions=["east"])
    china = Territory.objects.create(name="China", position=3, countries=["CN"])
    rest = Territory.objects.create(name="Rest of world", position=9)
    east.reps.add(rep)
    return {"east_finance": east_finance, "east": east, "china": china, "rest": rest}


def test_the_first_matching_territory_by_position_wins(map_):
    matcher = territories.Matcher()
    assert matcher.territory_for(region="East", industry="finance") == "East finance"
    assert matcher.territory_for(region="EAST", industry="Retail") == "East"
    assert matcher.territory_for(region="West", country="CN") == "China"
    assert matcher.territory_for(region="West", country="US") == "Rest of world"
    # Moving "China" before "East" changes where an eastern Chinese retailer goes.
    map_["china"].position = 0
    map_["china"].save()
    assert territories.Matcher().territory_for(region="East", country="CN",
                                               industry="Retail") == "China"


def test_reassigning_sets_the_account_territory(map_):
    bank = Account.objects.create(name="Bank", region="East", industry="Finance")
    shop = Account.objects.create(name="Shop", region="West", country="CN")
    already = Account.objects.create(name="Already", region="East", territory="East")
    assert territories.reassign() == 2
    assert Account.objects.get(pk=bank.pk).territory == "East finance"
    assert Account.objects.get(pk=shop.pk).territory == "China"
    assert Account.objects.get(pk=already.pk).territory == "East"
    assert territories.reassign() == 0  # nothing left to change
    map_["rest"].delete()
    map_["china"].delete()
    assert tasks.reassign_territories() == 1  # the shop now matches nothing
    assert Account.objects.get(pk=shop.pk).territory == ""


def test_without_territories_hand_typed_names_stay(in_acme):
    account = Account.objects.create(name="Typed", territory="North-west")
    assert territories.reassign() == 0
    assert Account.objects.get(pk=account.pk).territory == "North-west"


def test_an_admin_manages_territories_and_reassigns_through_the_api(map_, in_acme):
    client = signed_in(in_acme.host, "admin@acme.example")
    made = post(client, "/api/v1/territories/", {
        "name": "Germany", "position": 0, "countries": ["de"], "regions": [" Bavaria ", ""],
        "reps": [get_user_model().objects.get(email="rep@acme.example").pk]})
    assert made.status_code == 201, made.content
    assert made.json()["countries"] == ["DE"]
    assert made.json()["regions"] == ["Bavaria"]
    account = Account.objects.create(name="GmbH", country="DE", region="bavaria")
    other = Account.objects.create(name="Other", country="DE", region="Bavaria")
    answer = post(client, "/api/v1/territories/reassign/", {"account": account.pk})
    assert answer.json() == {"changed": 1}
    assert Account.objects.get(pk=account.pk).territory == "Germany"
    assert Account.objects.get(pk=other.pk).territory == ""  # only the one asked for
    assert post(client, "/api/v1/territories/reassign/", {}).json() == {"changed": 1}
    names = [row["name"] for row in client.get(
        "/api/v1/territories/?ordering=position").json()["results"]]
    assert names == ["Germany", "East finance", "East", "China", "Rest of world"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": ""}, "name"),
    ({"name": "East"}, "name"),  # taken
    ({"name": "X", "countries": ["China"]}, "countries"),
    ({"name": "X", "regions": "East"}, "regions"),
    ({"name": "X", "reps": [999999]}, "reps"),
    ({"name": "X", "position": -1}, "position"),
])
def test_bad_territories_are_a_400(map_, in_acme, payload, field):
    client = signed_in(in_acme.host, "admin@acme.example")
    response = post(client, "/api/v1/territories/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert post(client, "/api/v1/territories/reassign/", {"account": "x"}).status_code == 400


def test_only_tenant_admins_use_the_territory_api(map_, in_acme):
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert rep.get("/api/v1/territories/").status_code == 403
    assert post(rep, "/api/v1/territories/reassign/", {}).status_code == 403


def test_globex_sees_none_of_acmes_territories(map_, globex):
    client = signed_in(globex.host, "admin@globex.example")
    assert client.get("/api/v1/territories/").json()["results"] == []
    assert client.get(f"/api/v1/territories/{map_['east'].pk}/").status_code == 404
    assert post(client, "/api/v1/territories/reassign/", {}).json() == {"changed": 0}


def test_the_territory_pages_add_edit_reassign_and_delete(map_, in_acme):
    client = signed_in(in_acme.host, "admin@acme.example")
    page = client.get("/app/sales/territories/")
    assert page.status_code == 200
    assert "East finance" in page.content.decode()
    bad = client.post("/app/sales/territories/", {"name": "Europe", "position": "0",
                                                  "countries": "DE, France"})
    assert bad.status_code == 400
    assert "is-invalid" in bad.content.decode()
    added = client.post("/app/sales/territories/", {"name": "Europe", "position": "0",
                                                    "countries": "de, fr", "regions": ""})
    assert added.status_code == 302
    europe = Territory.objects.get(name="Europe")
    assert europe.countries == ["DE", "FR"]
    assert europe.regions == []
    edited = client.post(f"/app/sales/territories/{europe.pk}/edit/", {
        "name": "Europe", "position": "0", "countries": "DE", "industries": "Cars"})
    assert edited.status_code == 302
    car_maker = Account.objects.create(name="Autowerk", country="DE", industry="cars")
    assert client.post("/app/sales/territories/reassign/").status_code == 302
    assert Account.objects.get(pk=car_maker.pk).territory == "Europe"
    assert client.post(f"/app/sales/territories/{europe.pk}/delete/").status_code == 302
    assert not Territory.objects.filter(name="Europe").exists()


def test_only_tenant_admins_see_the_territory_pages(map_, in_acme, globex):
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert rep.get("/app/sales/territories/").status_code == 403
    assert rep.post("/app/sales/territories/reassign/").status_code == 403
    assert rep.post(f"/app/sales/territories/{map_['east'].pk}/delete/").status_code == 403
    assert Territory.objects.filter(pk=map_["east"].pk).exists()
    other = signed_in(globex.host, "admin@globex.example")
    assert other.get(f"/app/sales/territories/{map_['east'].pk}/edit/").status_code == 404
    assert "East finance" not in other.get("/app/sales/territories/").content.decode()
