"""Saved list views: the API (own and shared views, sharing rules, validation) and the list
pages that save, apply, update and delete them, within each user's visibility and tenant."""

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.customers.models import Account, Team
from crm_apps.customization.models import CustomField, FieldRestriction, SavedView
from tests.fixtures.world import PASSWORD, host_client, post, signed_in

API = "/api/v1/saved-views/"
ACCOUNTS = "/app/customers/accounts/"
CONTACTS = "/app/customers/contacts/"


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-views", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    admin = users.get(email="admin@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    manager = create_user(email="boss@acme.example", password=PASSWORD, role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    CustomField.objects.create(entity="customers.account", code="segment", label="Segment",
                               type="choice", choices=[{"value": "smb", "label": "SMB"}])
    gold_mine = Account.objects.create(name="Gold of mine", tier="gold", owner=rep,
                                       phone="021-1234", custom={"segment": "smb"})
    Account.objects.create(name="Silver of mine", tier="silver", owner=rep)
    Account.objects.create(name="Gold of theirs", tier="gold", owner=rep2)
    return {"rep": rep, "rep2": rep2, "admin": admin, "manager": manager,
            "gold_mine": gold_mine}


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


def text(response):
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# The API


def test_api_creates_lists_updates_and_deletes_own_views(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    created = post(rep, API, {"entity": "customers.account", "name": " Gold ",
                              "query": "tier=gold&sort=-created&page=3",
                              "columns": ["phone", "custom.segment", "phone"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Gold"
    assert body["query"] == "tier=gold&sort=-created"  # a page number is no part of a view
    assert body["columns"] == ["phone", "custom.segment"]
    assert body["owner"] == "rep@acme.example"
    assert body["shared"] is False
    post(rep, API, {"entity": "customers.contact", "name": "Leads",
                    "query": "lifecycle_stage=lead"})
    listed = rep.get(API, {"entity": "customers.account"}).json()["results"]
    assert [view["name"] for view in listed] == ["Gold"]
    assert len(rep.get(API).json()["results"]) == 2
    path = f"{API}{body['id']}/"
    changed = patch(rep, path, {"name": "Gold only", "columns": ["tier"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["columns"] == ["tier"]
    assert rep.delete(path).status_code == 204
    assert not SavedView.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"entity": "customers.nothing", "name": "X"}, "entity"),
    ({"name": "X"}, "entity"),
    ({"entity": "customers.account", "name": "  "}, "name"),
    ({"entity": "customers.account", "name": "X", "columns": ["password"]}, "columns"),
    ({"entity": "customers.account", "name": "X", "columns": "phone"}, "columns"),
    ({"entity": "customers.account", "name": "X", "columns": ["annual_revenue"]}, "columns"),
    ({"entity": "customers.account", "name": "Taken"}, "name"),
    ({"entity": "customers.account", "name": "X", "shared": True}, "shared"),
])
def test_api_refuses_bad_views(acme, org, payload, field):
    FieldRestriction.objects.create(entity="customers.account", field="annual_revenue",
                                    hidden_from=["sales_rep"])
    SavedView.objects.create(owner=org["rep"], entity="customers.account", name="Taken")
    rep = signed_in(acme.host, acme.rep_email)
    response = post(rep, API, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_api_refuses_malformed_json(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    response = rep.post(API, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_sharing_rules(acme, org):
    manager = signed_in(acme.host, "boss@acme.example")
    shared = post(manager, API, {"entity": "customers.account", "name": "Team gold",
                                 "query": "tier=gold", "shared": True})
    assert shared.status_code == 201, shared.content
    path = f"{API}{shared.json()['id']}/"
    private = post(manager, API, {"entity": "customers.account", "name": "Mine only"})
    rep = signed_in(acme.host, acme.rep_email)
    names = [view["name"] for view in rep.get(API).json()["results"]]
    assert names == ["Team gold"]  # shared yes, another's private view no
    assert rep.get(f"{API}{private.json()['id']}/").status_code == 404
    assert patch(rep, path, {"name": "Hijacked"}).status_code == 403
    assert rep.delete(path).status_code == 403
    assert SavedView.objects.get(name="Team gold")
    # The same name is fine for someone else.
    assert post(rep, API, {"entity": "customers.account", "name": "Team gold"}).status_code \
        == 201
    admin = signed_in(acme.host, acme.admin_email)
    assert patch(admin, path, {"name": "Admin's now"}).status_code == 403
    assert admin.delete(path).status_code == 204
    assert admin.delete(f"{API}{private.json()['id']}/").status_code == 404


# The pages


def test_save_and_apply_a_view_from_the_list(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    page = text(rep.get(ACCOUNTS, {"tier": "gold", "columns": "phone,custom.segment"}))
    assert 'name="query" value="tier=gold"' in page
    assert 'name="columns" value="phone,custom.segment"' in page
    assert 'id="view-shared"' not in page  # a rep cannot share
    response = rep.post(f"{ACCOUNTS}views/", {"name": "My gold", "query": "tier=gold",
                                              "columns": "phone,custom.segment"}, follow=True)
    view = SavedView.objects.get(name="My gold")
    assert response.redirect_chain[-1][0] == f"{ACCOUNTS}?view={view.pk}"
    assert "View “My gold” saved." in shown_messages(response)
    page = response.content.decode()
    assert "Gold of mine" in page
    assert "Silver of mine" not in page
    assert "Phone</th>" in page
    assert "021-1234" in page
    assert "SMB" in page
    assert ">My gold</a>" in page or "My gold" in page
    assert view.owner == org["rep"]
    assert view.entity == "customers.account"
    assert view.columns == ["phone", "custom.segment"]


def test_saving_a_view_with_bad_input_says_why(acme, org):
    SavedView.objects.create(owner=org["rep"], entity="customers.account", name="Taken")
    rep = signed_in(acme.host, acme.rep_email)
    for payload in ({"name": "Taken"}, {"name": ""}, {"name": "X", "columns": "password"},
                    {"name": "Shared", "shared": "on"}):
        response = rep.post(f"{ACCOUNTS}views/", {"query": "tier=gold", "back": "tier=gold",
                                                  **payload}, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == f"{ACCOUNTS}?tier=gold"
        assert shown_messages(response)[0].startswith("The view was not saved")
    assert SavedView.objects.count() == 1


def test_a_shared_view_never_shows_more_than_the_user_may_see(acme, org):
    view = SavedView.objects.create(owner=org["admin"], entity="customers.account",
                                    name="All gold", query="tier=gold&password=1&sort=bogus",
                                    columns=["tier", "nonsense"], shared=True)
    admin_page = text(signed_in(acme.host, acme.admin_email).get(ACCOUNTS, {"view": view.pk}))
    assert "Gold of theirs" in admin_page
    rep = signed_in(acme.host, acme.rep_email)
    page = text(rep.get(ACCOUNTS, {"view": view.pk}))
    assert "Gold of mine" in page
    assert "Gold of theirs" not in page
    assert "Silver of mine" not in page
    assert "Tier</a></th>" in page
    assert "password" not in page.split("<main")[1]  # unknown parameters dropped
    assert "Update “All gold”" not in page  # not the rep's to change
    assert "Delete “All gold”" not in page


def test_a_view_hides_columns_and_filters_hidden_from_the_viewer(acme, org):
    FieldRestriction.objects.create(entity="customers.account", field="phone",
                                    hidden_from=["sales_rep"])
    FieldRestriction.objects.create(entity="customers.account", field="tier",
                                    hidden_from=["sales_rep"])
    view = SavedView.objects.create(owner=org["admin"], entity="customers.account",
                                    name="Phones", query="tier=silver",
                                    columns=["phone", "city"], shared=True)
    page = text(signed_in(acme.host, acme.rep_email).get(ACCOUNTS, {"view": view.pk}))
    assert "021-1234" not in page
    assert "Phone</th>" not in page
    assert "City</a></th>" in page
    assert "Gold of mine" in page  # the filter on a hidden field is not applied


def test_update_and_delete_views_from_the_list(acme, org):
    view = SavedView.objects.create(owner=org["rep"], entity="customers.account",
                                    name="Mine", query="tier=gold")
    rep = signed_in(acme.host, acme.rep_email)
    page = text(rep.get(ACCOUNTS, {"view": view.pk, "tier": "silver", "sort": "name"}))
    assert "Silver of mine" in page
    assert "Update “Mine” to what is shown" in page
    response = rep.post(f"/app/customers/views/{view.pk}/update/", {
        "query": "tier=silver&sort=name", "columns": "city"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{ACCOUNTS}?view={view.pk}"
    view.refresh_from_db()
    assert view.query == "tier=silver&sort=name"
    assert view.columns == ["city"]
    response = rep.post(f"/app/customers/views/{view.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == ACCOUNTS
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_only_owners_and_admins_change_views_through_the_pages(acme, org):
    shared = SavedView.objects.create(owner=org["manager"], entity="customers.contact",
                                      name="Team leads", query="lifecycle_stage=lead",
                                      shared=True)
    private = SavedView.objects.create(owner=org["manager"], entity="customers.account",
                                       name="Private")
    rep = signed_in(acme.host, acme.rep_email)
    assert rep.post(f"/app/customers/views/{shared.pk}/update/",
                    {"query": ""}).status_code == 403
    assert rep.post(f"/app/customers/views/{shared.pk}/delete/").status_code == 403
    assert rep.post(f"/app/customers/views/{private.pk}/delete/").status_code == 404
    assert rep.post("/app/customers/views/abc/delete/").status_code == 404
    response = rep.get(ACCOUNTS, {"view": private.pk})
    assert "That saved view does not exist or is not shared with you." in shown_messages(
        response)
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(CONTACTS, {"view": shared.pk}))
    assert "Delete “Team leads”" in page
    assert "Update “Team leads”" not in page
    assert admin.post(f"/app/customers/views/{shared.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()
    assert SavedView.objects.filter(pk=private.pk).exists()


def test_a_manager_shares_a_view_from_the_list(acme, org):
    manager = signed_in(acme.host, "boss@acme.example")
    page = text(manager.get(CONTACTS))
    assert 'id="view-shared"' in page
    manager.post(f"{CONTACTS}views/", {"name": "Leads", "query": "lifecycle_stage=lead",
                                       "shared": "on"})
    view = SavedView.objects.get(name="Leads")
    assert view.shared
    page = text(signed_in(acme.host, acme.rep_email).get(CONTACTS))
    assert f'href="?view={view.pk}"' in page


def test_another_tenant_cannot_use_these_views(acme, globex, org):
    view = SavedView.objects.create(owner=org["admin"], entity="customers.account",
                                    name="Acme gold", query="tier=gold", shared=True)
    with tenant_context(globex.tenant):
        stranger = signed_in(globex.host, globex.admin_email)
        response = stranger.get(ACCOUNTS, {"view": view.pk})
        assert response.status_code == 200
        assert "Acme gold" not in response.content.decode()
        assert "Gold of mine" not in response.content.decode()
        assert stranger.get(f"{API}{view.pk}/").status_code == 404
        assert stranger.delete(f"{API}{view.pk}/").status_code == 404
        assert stranger.post(f"/app/customers/views/{view.pk}/delete/").status_code == 404
        assert stranger.get(API).json()["results"] == []
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_the_api_is_for_staff_only(acme, org):
    customer = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    assert customer.get(API).status_code == 403
    assert post(customer, API, {"entity": "customers.account", "name": "X"}).status_code == 403
    assert host_client(acme.host).get(API).status_code in (401, 403)
