"""The lead pages: list with filters and score sort, detail with score and convert button,
create and edit forms (assignment by rules when no owner is chosen), conversion, visibility."""

import pytest
from django.contrib.auth import get_user_model

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.sales.models import AssignmentRule, Lead, Opportunity, ScoringRule
from realtime.models import Notification
from tests.fixtures.world import host_client, signed_in

LEADS = "/app/sales/leads/"


@pytest.fixture
def org(in_acme):
    """rep in team North, rep2 in team South."""
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    return {"rep": rep, "rep2": rep2, "north": north, "south": south}


def text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_the_list_shows_visible_leads_filtered_and_sorted_by_score(in_acme, org):
    ScoringRule.objects.create(field="source", operator="equals", value="referral", points=30)
    Lead.objects.create(last_name="Lowscore", owner=org["rep"], status="working")
    Lead.objects.create(last_name="Highscore", owner=org["rep"], source="referral")
    Lead.objects.create(last_name="Southern", owner=org["rep2"], team=org["south"])
    client = signed_in(in_acme.host, "rep@acme.example")
    page = text(client.get(LEADS, {"sort": "score"}))
    assert "Southern" not in page
    assert page.index("Highscore") < page.index("Lowscore")
    assert ">30<" in page
    filtered = text(client.get(LEADS, {"status": "working"}))
    assert "Lowscore" in filtered
    assert "Highscore" not in filtered
    assert "Lowscore" in text(client.get(LEADS, {"score_max": "bogus", "sort": "nonsense"}))


def test_detail_shows_the_score_and_a_convert_button_when_qualified(in_acme, org):
    ScoringRule.objects.create(field="phone", operator="is_set", points=12)
    lead = Lead.objects.create(last_name="Ready", phone="021 5555 1234", owner=org["rep"],
                               status="qualified")
    client = signed_in(in_acme.host, "rep@acme.example")
    page = text(client.get(f"{LEADS}{lead.pk}/"))
    assert 'id="lead-score">12<' in page
    assert f"{LEADS}{lead.pk}/convert/" in page
    lead.status = "working"
    lead.save()
    assert f"{LEADS}{lead.pk}/convert/" not in text(client.get(f"{LEADS}{lead.pk}/"))
    theirs = Lead.objects.create(last_name="Theirs", owner=org["rep2"], team=org["south"])
    assert client.get(f"{LEADS}{theirs.pk}/").status_code == 404
    assert client.get(f"{LEADS}{theirs.pk}/edit/").status_code == 404
    assert client.get(f"{LEADS}{theirs.pk}/convert/").status_code == 404


def test_creating_without_an_owner_assigns_by_rules_and_notifies(in_acme, org):
    AssignmentRule.objects.create(name="South events", method="round_robin",
                                  team=org["south"], source="event")
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post(f"{LEADS}new/", {
        "first_name": "Li", "last_name": "Lei", "company": "上海贸易", "source": "event",
        "status": "new", "country": "cn"}, follow=True)
    assert "Lead created." in text(response)
    lead = Lead.objects.get(last_name="Lei")
    assert (lead.owner, lead.team, lead.country) == (org["rep2"], org["south"], "CN")
    assert Notification.objects.filter(recipient=org["rep2"], kind="lead.assigned",
                                       link=f"{LEADS}{lead.pk}/").exists()
    plain = client.post(f"{LEADS}new/", {"last_name": "Mine", "source": "manual",
                                         "status": "new"})
    assert plain.status_code == 302
    assert Lead.objects.get(last_name="Mine").owner == org["rep"]


def test_invalid_forms_show_errors_and_save_nothing(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    page = text(client.post(f"{LEADS}new/", {"source": "manual", "status": "new"}))
    assert "Give the lead a name, a company or an e-mail address." in page
    page = text(client.post(f"{LEADS}new/", {
        "last_name": "X", "email": "nope", "country": "C1", "source": "pigeon",
        "status": "disqualified"}))
    assert "Enter a valid email address" in page or "Enter a valid e-mail address" in page
    assert "Use a two-letter ISO 3166 code" in page
    assert "Say why the lead is disqualified." in page
    assert "is-invalid" in page
    assert not Lead.everything.exists()


def test_editing_a_lead_and_disqualifying_with_a_reason(in_acme, org):
    lead = Lead.objects.create(last_name="Edit", owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    assert "Edit" in text(client.get(f"{LEADS}{lead.pk}/edit/"))
    response = client.post(f"{LEADS}{lead.pk}/edit/", {
        "last_name": "Edit", "source": "manual", "status": "disqualified",
        "disqualified_reason": "No budget", "owner": org["rep"].pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.disqualified_reason) == ("disqualified", "No budget")


def test_converting_from_the_page_attaches_to_existing_records(in_acme, org):
    account = Account.objects.create(name="Engines", website="https://engines.example",
                                     owner=org["rep"])
    contact = Contact.objects.create(first_name="Ada", email="ada@engines.example",
                                     owner=org["rep"])
    lead = Lead.objects.create(first_name="Ada", last_name="Lovelace", company="Engines Ltd",
                               website="https://engines.example", email="ada@engines.example",
                               status="qualified", owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    form = text(client.get(f"{LEADS}{lead.pk}/convert/"))
    assert 'value="Engines Ltd"' in form
    bad = text(client.post(f"{LEADS}{lead.pk}/convert/", {"amount": "-1"}))
    assert "is-invalid" in bad
    response = client.post(f"{LEADS}{lead.pk}/convert/", {
        "opportunity_name": "Engines deal", "amount": "9000.00"}, follow=True)
    page = text(response)
    assert "existing account, existing contact" in page
    lead.refresh_from_db()
    assert (lead.status, lead.account, lead.contact) == ("converted", account, contact)
    opportunity = Opportunity.objects.get(lead=lead)
    assert (opportunity.name, str(opportunity.amount)) == ("Engines deal", "9000.00")
    assert Account.objects.count() == 1
    again = client.post(f"{LEADS}{lead.pk}/convert/", {}, follow=True)
    assert "already been converted" in text(again)
    assert Opportunity.objects.filter(lead=lead).count() == 1


def test_reassign_by_rules_button(in_acme, org):
    lead = Lead.objects.create(last_name="Move", owner=org["rep"], territory="South")
    client = signed_in(in_acme.host, "rep@acme.example")
    page = text(client.post(f"{LEADS}{lead.pk}/reassign/", follow=True))
    assert "No assignment rule matches this lead." in page
    AssignmentRule.objects.create(name="South", method="territory_owner", user=org["rep2"],
                                  territory="south")
    client.post(f"{LEADS}{lead.pk}/reassign/")
    lead.refresh_from_db()
    assert lead.owner == org["rep2"]


def test_pages_ask_for_a_staff_sign_in(in_acme, org):
    assert signed_in(in_acme.host, "rep@acme.example").get(LEADS).status_code == 200
    anonymous = host_client(in_acme.host)
    assert anonymous.get(LEADS).status_code == 302
    assert anonymous.get(f"{LEADS}new/").status_code == 302


def test_a_field_hidden_from_reps_is_not_shown_sorted_or_searched(in_acme, org):
    from crm_apps.customization.models import FieldRestriction

    FieldRestriction.objects.create(entity="sales.lead", field="phone",
                                    hidden_from=[SALES_REP])
    lead = Lead.objects.create(last_name="Secret", phone="13800138000", owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    assert "13800138000" not in text(client.get(f"{LEADS}{lead.pk}/"))
    api = client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert "phone" not in api
    assert client.get("/api/v1/leads/?q=13800138000").json()["results"] == []
    admin = signed_in(in_acme.host, "admin@acme.example")
    assert "13800138000" in text(admin.get(f"{LEADS}{lead.pk}/"))
