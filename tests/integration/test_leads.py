"""Leads: assignment rules (round robin, territory) with a notification to the new owner,
conversion attaching to existing records, rule-based scoring, the leads API with its
visibility by role and team, and isolation between tenants."""

import json
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.sales.assignment import assign_by_rules
from crm_apps.sales.lead_tasks import rescore_leads
from crm_apps.sales.models import (
    ActivityPoints,
    AssignmentRule,
    Lead,
    Opportunity,
    Pipeline,
    ScoringRule,
)
from crm_apps.sales.scoring import rescore_all
from realtime.models import Notification
from tests.fixtures.world import admin_token, host_client, post, signed_in


@pytest.fixture
def org(in_acme):
    """Team North (rep, north_rep, led by a manager) and team South (rep2)."""
    from tenants.models import Plan

    # More colleagues than the world's plan allows (rolled back with the test).
    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north_rep = create_user(email="north@acme.example", password="test-pass-123",
                            role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep, north_rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    return {"rep": rep, "rep2": rep2, "north_rep": north_rep, "manager": manager,
            "north": north, "south": south, "admin": users.get(email="admin@acme.example")}


def owners_of(leads):
    return [Lead.objects.get(pk=lead.pk).owner for lead in leads]


# --- assignment -------------------------------------------------------------------------

def test_round_robin_rotates_through_the_team_members_in_turn(org):
    AssignmentRule.objects.create(name="North web", method="round_robin", team=org["north"],
                                  source="web_form")
    leads = [Lead.objects.create(last_name=f"L{n}", source="web_form") for n in range(5)]
    first, second = sorted([org["rep"], org["north_rep"]], key=lambda user: user.pk)
    assert owners_of(leads) == [first, second, first, second, first]
    assert {lead.team for lead in Lead.objects.filter(pk__in=[x.pk for x in leads])} == {
        org["north"]}


def test_round_robin_skips_inactive_members_and_a_lead_with_an_owner(org):
    AssignmentRule.objects.create(name="North", method="round_robin", team=org["north"])
    org["north_rep"].is_active = False
    org["north_rep"].save()
    given = Lead.objects.create(last_name="Given", owner=org["rep2"])
    assert Lead.objects.get(pk=given.pk).owner == org["rep2"]  # an explicit owner stays
    leads = [Lead.objects.create(last_name=f"L{n}") for n in range(2)]
    assert owners_of(leads) == [org["rep"], org["rep"]]


def test_the_first_matching_rule_wins_and_a_territory_goes_to_its_owner(org):
    AssignmentRule.objects.create(name="East China", position=1, method="territory_owner",
                                  user=org["rep2"], country="CN", territory="East")
    AssignmentRule.objects.create(name="Everything else", position=2, method="round_robin",
                                  team=org["north"])
    east = Lead.objects.create(last_name="East", country="CN", territory="east")
    west = Lead.objects.create(last_name="West", country="CN", territory="West")
    east.refresh_from_db()
    west.refresh_from_db()
    assert east.owner == org["rep2"]
    assert west.owner in (org["rep"], org["north_rep"])
    assert Lead.objects.create(last_name="Unmatched", country="US").owner is not None


def test_no_matching_rule_leaves_the_lead_without_owner(org):
    AssignmentRule.objects.create(name="Events", method="territory_owner", user=org["rep2"],
                                  source="event")
    lead = Lead.objects.create(last_name="Web", source="web_form")
    lead.refresh_from_db()
    assert lead.owner is None
    assert assign_by_rules(lead) is None


def test_the_new_owner_gets_a_notification_linking_to_the_lead(org):
    AssignmentRule.objects.create(name="South", method="territory_owner", user=org["rep2"])
    lead = Lead.objects.create(first_name="Ada", last_name="Lovelace", company="Engines")
    note = Notification.objects.get(recipient=org["rep2"], kind="lead.assigned")
    assert "Ada Lovelace" in note.title
    assert note.link == f"/app/sales/leads/{lead.pk}/"
    assert not Notification.objects.filter(kind="lead.assigned").exclude(
        recipient=org["rep2"]).exists()


def test_reassign_by_rules_on_demand_through_the_api(org):
    lead = Lead.objects.create(last_name="Later", owner=org["admin"], territory="South")
    AssignmentRule.objects.create(name="South", method="territory_owner", user=org["rep2"],
                                  territory="south")
    admin = signed_in("acme.localhost", "admin@acme.example")
    response = post(admin, f"/api/v1/leads/{lead.pk}/reassign/", {})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == org["rep2"].pk
    assert Notification.objects.filter(recipient=org["rep2"], kind="lead.assigned").exists()


def test_concurrent_round_robin_gives_two_simultaneous_leads_to_different_members(committed):
    """Two leads created at the same moment in two connections: the locked rule row makes
    the second wait and take the next member."""
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    users = get_user_model().objects
    with tenant_context(acme):
        admin = users.get(email="admin@acme.example")
        rep = users.get(email="rep@acme.example")
        team = Team.objects.create(name="Concurrency")
        team.members.add(admin, rep)
        rule = AssignmentRule.objects.create(name="Both", method="round_robin", team=team)
    barrier = threading.Barrier(2)
    created, failures = [], []

    def create(name):
        try:
            with tenant_context(acme):
                barrier.wait(timeout=10)
                created.append(Lead.objects.create(last_name=name).pk)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in ("One", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        with tenant_context(acme):
            owners = sorted(Lead.everything.filter(pk__in=created)
                            .values_list("owner_id", flat=True))
        assert failures == []
        assert owners == sorted([admin.pk, rep.pk])
    finally:
        with tenant_context(acme):
            from core.models import AuditEntry

            Notification.objects.filter(kind="lead.assigned").delete()
            AuditEntry.objects.filter(record_type="sales.lead",
                                      record_id__in=[str(pk) for pk in created]).delete()
            Lead.everything.filter(pk__in=created).delete()
            rule.delete()
            team.delete()


def test_assignment_rules_api_is_for_tenant_admins_and_validates(org):
    admin = signed_in("acme.localhost", "admin@acme.example")
    rep = signed_in("acme.localhost", "rep@acme.example")
    assert rep.get("/api/v1/lead-assignment-rules/").status_code == 403
    missing_team = post(admin, "/api/v1/lead-assignment-rules/",
                        {"name": "RR", "method": "round_robin"})
    assert missing_team.status_code == 400
    assert "team" in missing_team.json()
    missing_user = post(admin, "/api/v1/lead-assignment-rules/",
                        {"name": "T", "method": "territory_owner"})
    assert "user" in missing_user.json()
    bad = post(admin, "/api/v1/lead-assignment-rules/",
               {"name": "X", "method": "guess", "country": "China"})
    assert bad.status_code == 400
    assert {"method", "country"} <= set(bad.json())
    ok = post(admin, "/api/v1/lead-assignment-rules/",
              {"name": "RR", "method": "round_robin", "team": org["south"].pk,
               "source": "api", "country": "cn"})
    assert ok.status_code == 201, ok.content
    assert ok.json()["country"] == "CN"
    created = post(admin, "/api/v1/leads/", {"last_name": "From API", "source": "api",
                                             "country": "CN"})
    assert created.json()["owner"] == org["rep2"].pk
    assert created.json()["team"] == org["south"].pk
    listed = admin.get("/api/v1/lead-assignment-rules/").json()["results"]
    assert [rule["name"] for rule in listed] == ["RR"]


# --- conversion -------------------------------------------------------------------------

def qualified(**fields):
    return Lead.objects.create(status="qualified", **fields)


def test_converting_creates_account_contact_and_opportunity_in_the_default_pipeline(org):
    lead = qualified(first_name="Ada", last_name="Lovelace", company="Analytical Engines",
                     website="https://engines.example", email="ada@engines.example",
                     owner=org["rep"], team=org["north"])
    client = signed_in("acme.localhost", "rep@acme.example")
    response = post(client, f"/api/v1/leads/{lead.pk}/convert/",
                    {"amount": "12500.50", "expected_close": "2027-03-31"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == ["account", "contact", "opportunity"]
    assert body["attached"] == []
    assert body["account"]["created"] is True
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert lead.converted_at is not None
    account = Account.objects.get(pk=body["account"]["id"])
    assert (account.name, account.domain, account.owner) == (
        "Analytical Engines", "engines.example", org["rep"])
    contact = Contact.objects.get(pk=body["contact"]["id"])
    assert (contact.email, contact.account) == ("ada@engines.example", account)
    assert (lead.account, lead.contact) == (account, contact)
    opportunity = Opportunity.objects.get(pk=body["opportunity"]["id"])
    default = Pipeline.objects.get(is_default=True)
    first_open = default.stages.filter(outcome="open").order_by("position").first()
    assert (opportunity.pipeline, opportunity.stage) == (default, first_open)
    assert opportunity.amount == Decimal("12500.50")
    assert str(opportunity.expected_close) == "2027-03-31"
    assert (opportunity.lead, opportunity.account, opportunity.contact) == (
        lead, account, contact)


def test_converting_attaches_to_an_account_with_the_same_domain_and_a_contact_by_email(org):
    account = Account.objects.create(name="Engines Ltd", website="http://www.engines.example/",
                                     owner=org["rep"])
    contact = Contact.objects.create(first_name="Ada", email="ADA@engines.example",
                                     owner=org["rep"])
    lead = qualified(last_name="Lovelace", company="Analytical Engines",
                     website="https://engines.example/contact", email="ada@engines.example",
                     owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    body = post(client, f"/api/v1/leads/{lead.pk}/convert/", {}).json()
    assert body["attached"] == ["account", "contact"]
    assert body["created"] == ["opportunity"]
    assert (body["account"]["id"], body["contact"]["id"]) == (account.pk, contact.pk)
    assert Account.objects.count() == 1
    assert Contact.objects.count() == 1
    contact.refresh_from_db()
    assert contact.account == account  # a contact without an account joins it


def test_converting_attaches_by_company_name_or_to_the_chosen_account(org):
    by_name = Account.objects.create(name="Acme Widgets")
    lead = qualified(last_name="One", company="acme widgets", email="one@x.example")
    client = signed_in("acme.localhost", "admin@acme.example")
    assert post(client, f"/api/v1/leads/{lead.pk}/convert/", {}).json()["account"]["id"] == (
        by_name.pk)
    chosen = Account.objects.create(name="Chosen")
    other = qualified(last_name="Two", company="Brand new", email="two@x.example")
    body = post(client, f"/api/v1/leads/{other.pk}/convert/",
                {"account": chosen.pk, "opportunity_name": "Big deal"}).json()
    assert body["account"] == {"id": chosen.pk, "name": "Chosen", "created": False}
    assert body["opportunity"]["name"] == "Big deal"
    assert not Account.objects.filter(name="Brand new").exists()


def test_converting_attaches_to_a_matching_account_the_rep_cannot_see_without_naming_it(org):
    hidden = Account.objects.create(name="Southern Trading", website="https://south.example",
                                    owner=org["rep2"], team=org["south"])
    lead = qualified(last_name="Overlap", company="South Trading Co",
                     website="https://south.example", owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    body = post(client, f"/api/v1/leads/{lead.pk}/convert/", {}).json()
    assert body["account"] == {"id": hidden.pk, "name": "", "created": False}
    assert Account.objects.count() == 1


def test_converting_twice_answers_409_and_creates_nothing_more(org):
    lead = qualified(last_name="Once", company="Once Ltd", owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    assert post(client, f"/api/v1/leads/{lead.pk}/convert/", {}).status_code == 201
    again = post(client, f"/api/v1/leads/{lead.pk}/convert/", {})
    assert again.status_code == 409
    assert Opportunity.objects.filter(lead=lead).count() == 1
    assert Account.objects.filter(name="Once Ltd").count() == 1


@pytest.mark.parametrize(("payload", "field"), [
    ({"amount": "-5"}, "amount"),
    ({"amount": "lots"}, "amount"),
    ({"expected_close": "next week"}, "expected_close"),
    ({"pipeline": 999999}, "pipeline"),
    ({"stage": 999999}, "stage"),
    ({"account": 999999}, "account"),
])
def test_bad_conversion_input_answers_400_and_changes_nothing(org, payload, field):
    lead = qualified(last_name="Bad", company="Bad input Ltd", owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    response = post(client, f"/api/v1/leads/{lead.pk}/convert/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()
    lead.refresh_from_db()
    assert lead.status == "qualified"
    assert not Account.objects.filter(name="Bad input Ltd").exists()


def test_only_a_qualified_lead_the_caller_sees_can_be_converted(org):
    client = signed_in("acme.localhost", "rep@acme.example")
    new = Lead.objects.create(last_name="New", owner=org["rep"])
    response = post(client, f"/api/v1/leads/{new.pk}/convert/", {})
    assert response.status_code == 400
    assert "status" in response.json()
    hidden_account = Account.objects.create(name="South's", owner=org["rep2"])
    mine = qualified(last_name="Mine", owner=org["rep"])
    chosen = post(client, f"/api/v1/leads/{mine.pk}/convert/", {"account": hidden_account.pk})
    assert chosen.status_code == 400
    assert "account" in chosen.json()
    theirs = qualified(last_name="Theirs", owner=org["rep2"], team=org["south"])
    assert post(client, f"/api/v1/leads/{theirs.pk}/convert/", {}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "qualified"


# --- scoring ----------------------------------------------------------------------------

def test_scoring_rules_add_points_on_save_and_after_rule_changes(org):
    ScoringRule.objects.create(field="source", operator="equals", value="referral", points=20)
    ScoringRule.objects.create(field="title", operator="contains", value="director", points=15)
    ScoringRule.objects.create(field="phone", operator="is_set", points=5)
    ScoringRule.objects.create(field="industry", operator="equals", value="retail", points=-10,
                               active=False)
    lead = Lead.objects.create(last_name="Hot", source="referral", title="Sales Director",
                               industry="Retail")
    assert Lead.objects.get(pk=lead.pk).score == 35
    lead.phone = "+86 21 5555 0000"
    lead.save()
    assert Lead.objects.get(pk=lead.pk).score == 40
    cold = Lead.objects.create(last_name="Cold", source="web_form")
    assert Lead.objects.get(pk=cold.pk).score == 0
    admin = signed_in("acme.localhost", "admin@acme.example")
    created = post(admin, "/api/v1/lead-scoring-rules/",
                   {"field": "source", "operator": "equals", "value": "web_form", "points": 7})
    assert created.status_code == 201, created.content
    assert Lead.objects.get(pk=cold.pk).score == 7  # every lead rescored at once


def test_activities_on_a_lead_add_points_and_the_periodic_task_rescore(org):
    ActivityPoints.objects.create(kind="meeting", points=10)
    ActivityPoints.objects.create(kind="call", points=3)
    lead = Lead.objects.create(last_name="Busy")
    Activity.objects.create(kind="call", subject="Intro", lead=lead)
    Activity.objects.create(kind="meeting", subject="Demo", lead=lead)
    assert Lead.objects.get(pk=lead.pk).score == 13
    ScoringRule.objects.create(field="company", operator="is_set", points=2)
    Lead.objects.filter(pk=lead.pk).update(company="Busy Ltd")
    assert rescore_leads() == 1  # the periodic task, run here in the test's tenant
    assert Lead.objects.get(pk=lead.pk).score == 15
    assert rescore_all() == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "crm_apps.sales.lead_tasks.rescore_leads" in scheduled


@pytest.mark.parametrize(("payload", "field"), [
    ({"field": "salary", "operator": "equals", "value": "x", "points": 1}, "field"),
    ({"field": "source", "operator": "like", "value": "x", "points": 1}, "operator"),
    ({"field": "source", "operator": "equals", "value": "", "points": 1}, "value"),
    ({"field": "source", "operator": "is_set", "points": "many"}, "points"),
])
def test_bad_scoring_rules_answer_400(org, payload, field):
    admin = signed_in("acme.localhost", "admin@acme.example")
    response = post(admin, "/api/v1/lead-scoring-rules/", payload)
    assert response.status_code == 400
    assert field in response.json()


def test_leads_sort_and_filter_by_score(org):
    ScoringRule.objects.create(field="source", operator="equals", value="referral", points=50)
    ScoringRule.objects.create(field="source", operator="equals", value="event", points=20)
    for name, source in (("Low", "web_form"), ("High", "referral"), ("Mid", "event")):
        Lead.objects.create(last_name=name, source=source, owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    ordered = client.get("/api/v1/leads/?ordering=-score").json()["results"]
    assert [(row["last_name"], row["score"]) for row in ordered] == [
        ("High", 50), ("Mid", 20), ("Low", 0)]
    ranged = client.get("/api/v1/leads/?score_min=10&score_max=30").json()["results"]
    assert [row["last_name"] for row in ranged] == ["Mid"]


# --- the API: CRUD, filters, visibility, isolation ---------------------------------------

def test_creating_a_lead_without_rules_makes_the_creator_its_owner(org):
    client = signed_in("acme.localhost", "rep@acme.example")
    response = post(client, "/api/v1/leads/", {
        "first_name": "Grace", "last_name": "Hopper", "company": "Navy", "country": "us",
        "email": "grace@navy.example", "source": "referral"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["owner"], body["country"], body["status"]) == (org["rep"].pk, "US", "new")
    path = f"/api/v1/leads/{body['id']}/"
    changed = client.patch(path, json.dumps({"status": "working"}),
                           content_type="application/json")
    assert changed.json()["status"] == "working"
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert Lead.everything.get(pk=body["id"]).deleted_at is not None


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "non_field_errors"),
    ({"last_name": "X", "email": "not an e-mail"}, "email"),
    ({"last_name": "X", "website": "nowhere"}, "website"),
    ({"last_name": "X", "country": "China"}, "country"),
    ({"last_name": "X", "source": "carrier pigeon"}, "source"),
    ({"last_name": "X", "status": "converted"}, "status"),
    ({"last_name": "X", "status": "disqualified"}, "disqualified_reason"),
    ({"last_name": "X", "owner": 999999}, "owner"),
    ({"last_name": "X", "custom": "not an object"}, "custom"),
    ({"last_name": "X", "custom": {"nope": 1}}, "custom"),
])
def test_bad_lead_input_answers_400_with_the_field(org, payload, field):
    client = signed_in("acme.localhost", "rep@acme.example")
    response = post(client, "/api/v1/leads/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_malformed_json_answers_400(org):
    client = signed_in("acme.localhost", "rep@acme.example")
    response = client.post("/api/v1/leads/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_disqualifying_needs_a_reason(org):
    lead = Lead.objects.create(last_name="Nope", owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    assert post(client, f"/api/v1/leads/{lead.pk}/disqualify/", {}).status_code == 400
    blank = post(client, f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": "  "})
    assert blank.status_code == 400
    assert "reason" in blank.json()
    patched = client.patch(f"/api/v1/leads/{lead.pk}/", json.dumps({"status": "disqualified"}),
                           content_type="application/json")
    assert patched.status_code == 400
    assert "disqualified_reason" in patched.json()
    done = post(client, f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": "No budget"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["disqualified_reason"]) == (
        "disqualified", "No budget")


def test_a_rep_sees_own_and_team_leads_only(org):
    Lead.objects.create(last_name="Mine", owner=org["rep"])
    Lead.objects.create(last_name="Teammate", owner=org["north_rep"])
    Lead.objects.create(last_name="North team", team=org["north"])
    south = Lead.objects.create(last_name="South", owner=org["rep2"], team=org["south"])
    rep = signed_in("acme.localhost", "rep@acme.example")
    names = sorted(row["last_name"] for row in rep.get("/api/v1/leads/").json()["results"])
    assert names == ["Mine", "North team", "Teammate"]
    assert rep.get(f"/api/v1/leads/{south.pk}/").status_code == 404
    changed = rep.patch(f"/api/v1/leads/{south.pk}/", json.dumps({"status": "working"}),
                        content_type="application/json")
    assert changed.status_code == 404
    assert rep.get(f"/api/v1/leads/?team={org['south'].pk}").json()["results"] == []
    admin = signed_in("acme.localhost", "admin@acme.example")
    assert len(admin.get("/api/v1/leads/").json()["results"]) == 4


def test_filters_search_and_cursor_pages(org):
    for n in range(3):
        Lead.objects.create(last_name=f"Page{n}", owner=org["rep"], source="event",
                            status="working")
    Lead.objects.create(first_name="张", last_name="伟", company="上海贸易", owner=org["rep"])
    client = signed_in("acme.localhost", "rep@acme.example")
    assert [row["last_name"] for row in client.get("/api/v1/leads/?q=上海").json()[
        "results"]] == ["伟"]
    first = client.get("/api/v1/leads/?source=event&status=working&page_size=2").json()
    seen = [row["last_name"] for row in first["results"]]
    if first["next"]:
        seen += [row["last_name"] for row in client.get(first["next"]).json()["results"]]
    assert sorted(seen) == ["Page0", "Page1", "Page2"]
    assert client.get("/api/v1/leads/?status=bogus").status_code == 400
    assert client.get("/api/v1/leads/?score_min=high").status_code == 400
    assert client.get("/api/v1/leads/?owner=999999").status_code == 400


def test_custom_fields_on_leads(org):
    from crm_apps.customization.models import CustomField

    CustomField.objects.create(entity="sales.lead", code="budget", label="Budget",
                               type="number")
    client = signed_in("acme.localhost", "rep@acme.example")
    created = post(client, "/api/v1/leads/", {"last_name": "Rich", "custom": {"budget": 5000}})
    assert created.status_code == 201, created.content
    assert created.json()["custom"] == {"budget": "5000"}
    post(client, "/api/v1/leads/", {"last_name": "Poor", "custom": {"budget": 10}})
    rich = client.get("/api/v1/leads/?cf_budget_min=1000").json()["results"]
    assert [row["last_name"] for row in rich] == ["Rich"]
    bad = post(client, "/api/v1/leads/", {"last_name": "X", "custom": {"budget": "lots"}})
    assert bad.status_code == 400


def test_globex_cannot_read_or_change_acme_leads(in_acme, org, globex):
    lead = Lead.objects.create(last_name="Acme only", status="qualified", owner=org["rep"])
    token = admin_token(globex.tenant)
    client = host_client(globex.host)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/leads/", **auth).json()["results"] == []
    assert client.get(f"/api/v1/leads/{lead.pk}/", **auth).status_code == 404
    converted = client.post(f"/api/v1/leads/{lead.pk}/convert/", "{}",
                            content_type="application/json", **auth)
    assert converted.status_code == 404
    acme_token = admin_token(in_acme.tenant)
    acme_on_globex = host_client(globex.host).get(
        "/api/v1/leads/", HTTP_AUTHORIZATION=f"Token {acme_token}")
    assert acme_on_globex.status_code == 401
    with tenant_context(in_acme.tenant):  # requests to globex's host switched the schema
        lead.refresh_from_db()
    assert lead.status == "qualified"
