"""E-mail on the timeline: sent to a contact from the CRM and logged, recorded by hand, and the
"email" kind over the API."""

import json

import pytest
from django.contrib.auth import get_user_model

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact, Team
from tests.fixtures.world import PASSWORD, post, signed_in

COMPOSE = "/app/activities/email/"
CONTACTS = "/app/customers/contacts/"


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-email", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    account = Account.objects.create(name="北京科技有限公司", owner=rep)
    zhang = Contact.objects.create(first_name="伟", last_name="张", account=account, owner=rep,
                                   email="zhang@bjtech.example", email_consent=False)
    silent = Contact.objects.create(first_name="No", last_name="Address", account=account,
                                    owner=rep)
    theirs = Contact.objects.create(first_name="Sam", owner=rep2, team=south,
                                    email="sam@steel.example")
    return {"rep": rep, "account": account, "zhang": zhang, "silent": silent,
            "theirs": theirs}


def test_an_email_to_a_contact_is_sent_and_logged(in_acme, org, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    zhang = org["zhang"]
    client = signed_in(in_acme.host, "rep@acme.example")
    page = client.get(COMPOSE, {"contact": zhang.pk}).content.decode()
    assert "zhang@bjtech.example" in page
    assert "has not agreed to marketing e-mail" in page
    back = f"{CONTACTS}{zhang.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{COMPOSE}?contact={zhang.pk}", {
            "subject": "报价单", "body": "张总您好，\n附上报价。", "next": back})
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == back
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert (message.to, message.subject, message.reply_to) == (
        ["zhang@bjtech.example"], "报价单", ["rep@acme.example"])
    assert "附上报价" in message.body
    logged = Activity.objects.get(kind="email")
    assert (logged.direction, logged.email_to, logged.email_from, logged.owner) == (
        "outbound", ["zhang@bjtech.example"], "rep@acme.example", org["rep"])
    assert (logged.contact, logged.account) == (zhang, org["account"])
    assert logged.sent_at is not None
    timeline = client.get(back).content.decode()
    assert f'href="/app/activities/{logged.pk}/"' in timeline
    assert "bi-envelope" in timeline
    account_page = client.get(f"/app/customers/accounts/{org['account'].pk}/").content.decode()
    assert "报价单" in account_page


def test_consenting_contacts_get_no_notice(in_acme, org):
    Contact.objects.filter(pk=org["zhang"].pk).update(email_consent=True)
    page = signed_in(in_acme.host, "rep@acme.example").get(
        COMPOSE, {"contact": org["zhang"].pk}).content.decode()
    assert "has not agreed to marketing e-mail" not in page


def test_no_address_no_send(in_acme, org, mailoutbox, django_capture_on_commit_callbacks):
    client = signed_in(in_acme.host, "rep@acme.example")
    silent = org["silent"]
    page = client.get(COMPOSE, {"contact": silent.pk}).content.decode()
    assert "This contact has no e-mail address." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{COMPOSE}?contact={silent.pk}",
                               {"subject": "Hi", "body": "Hello"})
        invalid = client.post(f"{COMPOSE}?contact={org['zhang'].pk}", {"subject": "",
                                                                       "body": ""})
    assert response.status_code == 400
    assert invalid.status_code == 400
    assert "Give the e-mail a subject." in invalid.content.decode()
    assert mailoutbox == []
    assert not Activity.objects.exists()


def test_only_visible_contacts_can_be_written_to(in_acme, org, mailoutbox):
    client = signed_in(in_acme.host, "rep@acme.example")
    assert client.get(COMPOSE, {"contact": org["theirs"].pk}).status_code == 404
    response = client.post(f"{COMPOSE}?contact={org['theirs'].pk}",
                           {"subject": "Hi", "body": "Hello"})
    assert response.status_code == 404
    assert client.get(COMPOSE, {"contact": "abc"}).status_code == 404
    assert client.get(COMPOSE).status_code == 404
    assert mailoutbox == []


def test_an_inbound_email_is_logged_by_hand(in_acme, org):
    zhang = org["zhang"]
    client = signed_in(in_acme.host, "rep@acme.example")
    page = client.get("/app/activities/new/email/", {"contact": zhang.pk}).content.decode()
    assert 'value="zhang@bjtech.example"' in page  # the sender, prefilled
    response = client.post("/app/activities/new/email/", {
        "subject": "Re: 报价单", "direction": "inbound", "email_from": "zhang@bjtech.example",
        "email_to": "rep@acme.example", "sent_at": "2026-01-05T10:15", "contact": zhang.pk,
        "body": "收到，谢谢。"})
    assert response.status_code == 302, response.content[:800]
    logged = Activity.objects.get(kind="email")
    assert (logged.direction, logged.email_to) == ("inbound", ["rep@acme.example"])
    future = client.post("/app/activities/new/email/", {
        "subject": "X", "direction": "inbound", "email_from": "zhang@bjtech.example",
        "email_to": "rep@acme.example", "sent_at": "2999-01-05T10:15", "contact": zhang.pk})
    assert future.status_code == 400
    assert "cannot have been sent in the future" in future.content.decode()


@pytest.mark.parametrize(("payload", "field"), [
    ({"email_to": ["not-an-address"], "direction": "inbound"}, "email_to"),
    ({"email_to": "zhang@bjtech.example", "direction": "inbound"}, "email_to"),
    ({"email_to": [], "direction": "inbound"}, "email_to"),
    ({"email_to": ["rep@acme.example"]}, "direction"),
    ({"email_to": ["rep@acme.example"], "direction": "inbound", "email_from": "x"},
     "email_from"),
    ({"email_to": ["rep@acme.example"], "direction": "inbound", "sent_at": "yesterday"},
     "sent_at"),
])
def test_the_api_validates_emails(in_acme, org, payload, field):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/activities/", {
        "kind": "email", "subject": "Re: 报价单", "contact": org["zhang"].pk, **payload})
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_the_api_accepts_an_email_and_keeps_its_fields_to_its_kind(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/activities/", {
        "kind": "email", "subject": "Re: 报价单", "contact": org["zhang"].pk,
        "direction": "inbound", "email_from": "zhang@bjtech.example",
        "email_to": ["rep@acme.example"], "sent_at": "2026-01-05T02:15:00Z"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["email_to"], body["sent_at"]) == (
        "email", ["rep@acme.example"], "2026-01-05T02:15:00Z")
    wrong = post(client, "/api/v1/activities/", {
        "kind": "note", "subject": "N", "contact": org["zhang"].pk,
        "email_to": ["rep@acme.example"]})
    assert wrong.status_code == 400
    assert "email_to" in wrong.json()
    timeline = client.get("/api/v1/timeline/", {"contact": org["zhang"].pk}).json()
    assert [(row["kind"], row["when"]) for row in timeline["results"]] == [
        ("email", "2026-01-05T02:15:00Z")]  # placed when it was sent
    assert json.loads(client.get(f"/api/v1/activities/{body['id']}/").content)[
        "direction"] == "inbound"
