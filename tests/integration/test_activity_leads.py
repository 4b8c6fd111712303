"""Activities on leads: the forms (opened from the lead's page), the API and its ``?lead=``
filter, visibility (only leads the user sees can be linked), rescoring by points per activity,
and isolation between tenants."""

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Team
from crm_apps.sales.models import ActivityPoints, Lead
from tests.fixtures.world import admin_token, host_client, post, signed_in

API = "/api/v1/activities/"


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    Team.objects.create(name="North").members.add(rep)
    Team.objects.create(name="South").members.add(rep2)
    ActivityPoints.objects.create(kind="call", points=5)
    ActivityPoints.objects.create(kind="note", points=1)
    return {"rep": rep, "rep2": rep2,
            "lead": Lead.objects.create(last_name="Visible", email="v@example.com",
                                        owner=rep),
            "other": Lead.objects.create(last_name="Hidden", owner=rep2)}


def test_log_activity_from_the_lead_page_prefills_the_lead_and_rescores(org):
    lead = org["lead"]
    rep = signed_in("acme.localhost", "rep@acme.example")
    detail = rep.get(f"/app/sales/leads/{lead.pk}/").content.decode()
    link = f"/app/activities/new/call/?lead={lead.pk}&amp;next=/app/sales/leads/{lead.pk}/"
    assert link in detail
    form = rep.get(f"/app/activities/new/call/?lead={lead.pk}").content.decode()
    assert f'<option value="{lead.pk}" selected>' in form
    assert f'value="{org["other"].pk}"' not in form  # another team's lead is not offered
    saved = rep.post(f"/app/activities/new/call/?lead={lead.pk}", {
        "subject": "Intro call", "direction": "outbound", "lead": lead.pk,
        "next": f"/app/sales/leads/{lead.pk}/"})
    assert saved.status_code == 302, saved.content[:800]
    assert saved.url == f"/app/sales/leads/{lead.pk}/"
    call = Activity.objects.get(subject="Intro call")
    assert (call.lead, call.account, call.contact, call.owner) == (lead, None, None, org["rep"])
    lead.refresh_from_db()
    assert lead.score == 5  # points per call, counted when it was logged
    page = rep.get(f"/app/sales/leads/{lead.pk}/").content.decode()
    assert "Intro call" in page
    detail = rep.get(f"/app/activities/{call.pk}/").content.decode()
    assert f'href="/app/sales/leads/{lead.pk}/"' in detail


def test_the_form_refuses_a_lead_the_user_cannot_see_and_needs_some_record(org):
    rep = signed_in("acme.localhost", "rep@acme.example")
    other = org["other"]
    form = rep.get(f"/app/activities/new/note/?lead={other.pk}").content.decode()
    assert f'value="{other.pk}" selected' not in form
    refused = rep.post("/app/activities/new/note/", {"subject": "Sneaky", "lead": other.pk})
    assert refused.status_code == 400
    assert "Choose one of the records you can see." in refused.content.decode()
    alone = rep.post("/app/activities/new/note/", {"subject": "Nothing"})
    assert alone.status_code == 400
    assert "Link it to an account, a contact or a lead." in alone.content.decode()
    assert not Activity.objects.exists()
    other.refresh_from_db()
    assert other.score == 0


def test_the_api_links_filters_and_rescores_by_lead(org):
    lead = org["lead"]
    rep = signed_in("acme.localhost", "rep@acme.example")
    made = post(rep, API, {"kind": "call", "subject": "API call", "lead": lead.pk})
    assert made.status_code == 201, made.content
    assert made.json()["lead"] == lead.pk
    post(rep, API, {"kind": "note", "subject": "On nothing of theirs", "lead": lead.pk})
    lead.refresh_from_db()
    assert lead.score == 6
    listed = rep.get(f"{API}?lead={lead.pk}").json()["results"]
    assert sorted(row["subject"] for row in listed) == ["API call", "On nothing of theirs"]
    assert rep.get(f"{API}?lead={org['other'].pk}").json()["results"] == []
    assert rep.get(f"{API}?lead=abc").status_code == 400
    deleted = rep.delete(f"{API}{made.json()['id']}/")
    assert deleted.status_code == 204
    lead.refresh_from_db()
    assert lead.score == 1  # the call in the bin counts no more


def test_the_api_refuses_a_lead_the_caller_cannot_see(org):
    rep = signed_in("acme.localhost", "rep@acme.example")
    refused = post(rep, API, {"kind": "note", "subject": "X", "lead": org["other"].pk})
    assert refused.status_code == 400
    assert "lead" in refused.json()
    mine = post(rep, API, {"kind": "note", "subject": "Mine", "lead": org["lead"].pk}).json()
    moved = rep.patch(f"{API}{mine['id']}/", json.dumps({"lead": org["other"].pk}),
                      content_type="application/json")
    assert moved.status_code == 400
    assert Activity.objects.get(pk=mine["id"]).lead == org["lead"]
    assert post(rep, API, {"kind": "note", "subject": "Alone"}).status_code == 400


def test_activities_on_a_lead_are_seen_by_whoever_sees_the_lead(org):
    admin_activity = Activity.objects.create(kind="note", subject="Admin's note",
                                             lead=org["lead"],
                                             owner=get_user_model().objects.get(
                                                 email="admin@acme.example"))
    rep = signed_in("acme.localhost", "rep@acme.example")
    assert rep.get(f"{API}{admin_activity.pk}/").status_code == 200
    rep2 = signed_in("acme.localhost", "rep2@acme.example")
    assert rep2.get(f"{API}{admin_activity.pk}/").status_code == 404
    assert rep2.get(f"/app/activities/{admin_activity.pk}/").status_code == 404


def test_globex_cannot_link_or_read_acme_leads(in_acme, org, globex):
    lead = org["lead"]
    Activity.objects.create(kind="note", subject="Acme only", lead=lead)
    client = host_client(globex.host)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {admin_token(globex.tenant)}"
    listed = client.get(f"{API}?lead={lead.pk}")
    # No such lead in globex: the filter value is refused (or, were the id taken, empty).
    assert listed.status_code == 400 or listed.json()["results"] == []
    refused = post(client, API, {"kind": "note", "subject": "X", "lead": lead.pk})
    assert refused.status_code == 400
    with tenant_context(in_acme.tenant):
        assert Activity.objects.filter(lead=lead).count() == 1
