"""Tickets through the API and the desk's service functions: opening with files, statuses and
their timestamps, the first response, the complaint path with a manager's sign-off, merge and
links, assignment rules, visibility between teams, tenant isolation and bad input."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import MANAGER, SALES_REP, SERVICE_AGENT
from crm_apps.customers.models import Account, Contact, Tag, Team
from crm_apps.service import services
from crm_apps.service.models import (
    Ticket,
    TicketAssignmentRule,
    TicketAttachment,
    TicketMessage,
)
from tests.fixtures.world import PASSWORD, admin_token, host_client, post, signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def desk(in_acme):
    """Team Support (agents ann and bob), team North (rep, led by a manager), team South (an
    outsider rep), and a customer account whose contact has the portal login customer@."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-desk", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    manager = create_user(email="boss@acme.example", password=PASSWORD, role=MANAGER)
    ann = create_user(email="ann@acme.example", password=PASSWORD, role=SERVICE_AGENT)
    bob = create_user(email="bob@acme.example", password=PASSWORD, role=SERVICE_AGENT)
    outsider = create_user(email="south@acme.example", password=PASSWORD, role=SALES_REP)
    support = Team.objects.create(name="Support")
    support.members.add(ann, bob)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(outsider)
    account = Account.objects.create(name="Customer Co", tier=Account.Tier.values[0])
    contact = Contact.objects.create(first_name="Cora", last_name="Customer", account=account,
                                     email="cora@customer.example",
                                     portal_user=users.get(email="customer@acme.example"))
    return {"rep": rep, "manager": manager, "ann": ann, "bob": bob, "outsider": outsider,
            "support": support, "north": north, "south": south, "account": account,
            "contact": contact}


def open_for(desk, **fields):
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("channel", "staff")
    fields.setdefault("owner", desk["rep"])
    fields.setdefault("team", desk["north"])
    return services.open_ticket(**fields)


def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


# --- Opening, statuses, first response ------------------------------------------------------

def test_a_ticket_opened_through_the_api_keeps_its_files_under_safe_names(in_acme, desk):
    client = admin(in_acme)
    response = client.post("/api/v1/tickets/", {
        "subject": "Broken screen", "description": "See the photo.", "kind": "incident",
        "priority": "high", "contact": desk["contact"].pk,
        "attachments": [upload("../../photo.png", PNG, "image/png"),
                        upload("发票\x07.pdf", PDF, "application/pdf")],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == f"T-{body['id']:06d}"
    assert body["status"] == "new"
    assert body["account"] == desk["account"].pk  # taken from the contact
    ticket = Ticket.objects.get(pk=body["id"])
    first = ticket.messages.get()
    assert first.visibility == "public"
    assert first.body == "See the photo."
    files = {a.name: a for a in TicketAttachment.objects.filter(message=first)}
    assert set(files) == {"photo.png", "发票.pdf"}
    assert files["发票.pdf"].content_type == "application/pdf"
    assert files["photo.png"].size == len(PNG)
    assert ".." not in files["photo.png"].file.name
    with files["发票.pdf"].file.open("rb") as stored:
        assert stored.read() == PDF
    # The opening is in the audit trail.
    assert AuditEntry.objects.filter(record_type="service.ticket", record_id=str(ticket.pk),
                                     action="created").exists()


def test_statuses_set_and_clear_their_timestamps_and_the_first_response_counts_once(in_acme,
                                                                                   desk):
    ticket = open_for(desk, description="Help", contact=desk["contact"])
    assert ticket.status == "new"
    assert ticket.first_responded_at is None
    # An internal note is not a response to the customer.
    services.add_message(ticket, body="Checking the logs", visibility="internal",
                         author=desk["rep"])
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert ticket.status == "new"
    services.add_message(ticket, body="We are on it", author=desk["rep"])
    ticket.refresh_from_db()
    first_response = ticket.first_responded_at
    assert first_response is not None
    assert ticket.status == "open"
    services.add_message(ticket, body="A second reply", author=desk["rep"])
    ticket.refresh_from_db()
    assert ticket.first_responded_at == first_response

    client = admin(in_acme)
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert patch(client, url, {"status": "pending"}).json()["status"] == "pending"
    # The customer answers: the ticket is no longer waiting on them.
    services.add_message(ticket, body="Here is the log", author_contact=desk["contact"],
                         channel="portal")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    resolved = patch(client, url, {"status": "resolved"}).json()
    assert resolved["resolved_at"]
    assert resolved["closed_at"] is None
    closed = patch(client, url, {"status": "closed"}).json()
    assert closed["closed_at"]
    assert closed["resolved_at"] == resolved["resolved_at"]
    reopened = patch(client, url, {"status": "open"}).json()
    assert reopened["resolved_at"] is None
    assert reopened["closed_at"] is None
    history = AuditEntry.objects.filter(record_type="service.ticket", record_id=str(ticket.pk),
                                        action="updated")
    assert any("status" in entry.changes for entry in history)


def test_replies_and_notes_through_the_api_and_the_full_conversation_for_staff(in_acme, desk):
    ticket = open_for(desk, description="First words", contact=desk["contact"])
    client = admin(in_acme)
    url = f"/api/v1/tickets/{ticket.pk}/messages/"
    note = client.post(url, {"body": "Only for us", "visibility": "internal",
                             "attachments": [upload("trace.txt", b"line one\n")]})
    assert note.status_code == 201, note.content
    assert note.json()["attachments"][0]["name"] == "trace.txt"
    reply = post(client, url, {"body": "Hello Cora"})
    assert reply.status_code == 201
    listed = client.get(url).json()
    assert [m["visibility"] for m in listed] == ["public", "internal", "public"]
    assert listed[2]["author"] == get_user_model().objects.get(email=in_acme.admin_email).pk
    assert post(client, url, {"body": "  "}).status_code == 400  # nothing to send


# --- Complaints -----------------------------------------------------------------------------

def test_a_complaint_closes_only_with_cause_correction_and_a_managers_sign_off(in_acme, desk):
    ticket = open_for(desk, kind="complaint", contact=desk["contact"])
    url = f"/api/v1/tickets/{ticket.pk}/"
    rep = signed_in(in_acme.host, "rep@acme.example")
    manager = signed_in(in_acme.host, "boss@acme.example")

    refused = patch(rep, url, {"status": "closed"})
    assert refused.status_code == 409
    assert "root cause" in refused.json()["detail"]
    # Cause and correction alone are not enough; the status change is refused as a whole.
    refused = patch(rep, url, {"root_cause": "Bad batch", "corrective_action": "Recall",
                               "status": "closed"})
    assert refused.status_code == 409
    assert "sign-off" in refused.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert ticket.root_cause == ""

    assert patch(rep, url, {"root_cause": "Bad batch",
                            "corrective_action": "Recall"}).status_code == 200
    # A rep cannot sign off, even on their own ticket.
    assert rep.post(f"{url}sign-off/").status_code == 403
    signed = manager.post(f"{url}sign-off/")
    assert signed.status_code == 200, signed.content
    assert signed.json()["signed_off_by"] == desk["manager"].pk
    # Changing the cause afterwards withdraws the sign-off.
    changed = patch(rep, url, {"root_cause": "Bad batch, wrong supplier"}).json()
    assert changed["signed_off_at"] is None
    assert patch(rep, url, {"status": "closed"}).status_code == 409
    assert manager.post(f"{url}sign-off/").status_code == 200
    closed = patch(rep, url, {"status": "closed"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    # Sign-off is for complaints only.
    question = open_for(desk)
    assert manager.post(f"/api/v1/tickets/{question.pk}/sign-off/").status_code == 400


# --- Merge and links ------------------------------------------------------------------------

def test_merging_moves_the_conversation_and_files_and_closes_the_duplicate(in_acme, desk):
    keep = open_for(desk, subject="Invoice wrong", description="Original")
    duplicate = open_for(desk, subject="Invoice wrong again", description="Duplicate",
                         attachments=[upload("scan.pdf", PDF)], kind="complaint")
    tag = Tag.objects.create(name="billing")
    duplicate.tags.add(tag)
    client = admin(in_acme)
    response = post(client, f"/api/v1/tickets/{duplicate.pk}/merge/", {"ticket": keep.pk})
    assert response.status_code == 200, response.content
    duplicate.refresh_from_db()
    assert duplicate.status == "closed"
    assert duplicate.merged_into_id == keep.pk
    assert list(keep.messages.values_list("body", flat=True)) == ["Original", "Duplicate"]
    assert not duplicate.messages.exists()
    moved = TicketAttachment.objects.get(name="scan.pdf")
    assert moved.message.ticket_id == keep.pk
    assert list(keep.tags.all()) == [tag]
    for ticket in (keep, duplicate):
        assert AuditEntry.objects.filter(record_type="service.ticket", record_id=str(ticket.pk),
                                         action="merged").exists()
    # A reply to the duplicate (an old e-mail thread) lands on the surviving ticket.
    services.add_message(duplicate, body="Late answer", author_contact=desk["contact"])
    assert keep.messages.filter(body="Late answer").exists()
    # A merged ticket is not merged again, reopened, or merged into itself.
    assert post(client, f"/api/v1/tickets/{duplicate.pk}/merge/",
                {"ticket": keep.pk}).status_code == 409
    assert patch(client, f"/api/v1/tickets/{duplicate.pk}/",
                 {"status": "open"}).status_code == 409
    assert post(client, f"/api/v1/tickets/{keep.pk}/merge/",
                {"ticket": keep.pk}).status_code == 400


def test_linked_tickets_see_each_other(in_acme, desk):
    first, second = open_for(desk), open_for(desk, subject="Same outage")
    client = admin(in_acme)
    response = post(client, f"/api/v1/tickets/{first.pk}/link/", {"ticket": second.pk})
    assert response.status_code == 200
    assert response.json()["linked"] == [second.pk]
    assert client.get(f"/api/v1/tickets/{second.pk}/").json()["linked"] == [first.pk]
    assert post(client, f"/api/v1/tickets/{first.pk}/link/",
                {"ticket": first.pk}).status_code == 400
    assert post(client, f"/api/v1/tickets/{first.pk}/link/",
                {"ticket": 999999}).status_code == 400


# --- Assignment -----------------------------------------------------------------------------

def test_round_robin_gives_new_tickets_to_the_team_in_turn(in_acme, desk):
    TicketAssignmentRule.objects.create(name="Incidents", kind="incident", team=desk["support"],
                                        method="round_robin")
    owners = [services.open_ticket(subject=f"Down {n}", channel="portal", kind="incident").owner
              for n in range(3)]
    assert owners == [desk["ann"], desk["bob"], desk["ann"]]
    assert Ticket.objects.filter(team=desk["support"]).count() == 3
    # No rule matches a question: it stays unassigned.
    question = services.open_ticket(subject="How to?", channel="portal")
    assert question.owner is None
    assert question.team is None


def test_least_loaded_gives_the_ticket_to_whoever_has_fewest_open(in_acme, desk):
    TicketAssignmentRule.objects.create(name="Everything", team=desk["support"],
                                        method="least_loaded")
    for n in range(2):
        open_for(desk, subject=f"Ann's {n}", owner=desk["ann"], team=desk["support"])
    done = open_for(desk, subject="Bob's old", owner=desk["bob"], team=desk["support"])
    services.change_status(done, "resolved")
    assert services.open_ticket(subject="New", channel="email").owner == desk["bob"]
    assert services.open_ticket(subject="Next", channel="email").owner == desk["bob"]
    # Now both have two open tickets: the lower id wins the tie.
    assert services.open_ticket(subject="Third", channel="email").owner == desk["ann"]


def test_admins_write_assignment_rules_and_staff_read_them(in_acme, desk):
    payload = {"name": "Gold", "team": desk["support"].pk, "method": "least_loaded",
               "customer_tier": ""}
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert post(rep, "/api/v1/ticket-assignment-rules/", payload).status_code == 403
    created = post(admin(in_acme), "/api/v1/ticket-assignment-rules/", payload)
    assert created.status_code == 201
    assert rep.get("/api/v1/ticket-assignment-rules/").json()["results"][0]["name"] == "Gold"
    reply = post(rep, "/api/v1/canned-replies/", {"title": "Thanks", "body": "Thank you!"})
    assert reply.status_code == 201
    assert reply.json()["created_by"] == desk["rep"].pk


# --- Queues, visibility, isolation ----------------------------------------------------------

def test_queues_filter_the_list(in_acme, desk):
    mine = open_for(desk, subject="Rep's")
    unassigned = open_for(desk, subject="Nobody's", owner=None, team=None)
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert [t["id"] for t in rep.get("/api/v1/tickets/?queue=mine").json()["results"]] == [
        mine.pk]
    ids = [t["id"] for t in admin(in_acme).get("/api/v1/tickets/?queue=unassigned")
           .json()["results"]]
    assert ids == [unassigned.pk]
    by_status = admin(in_acme).get("/api/v1/tickets/?status=new&priority=normal").json()
    assert {t["id"] for t in by_status["results"]} == {mine.pk, unassigned.pk}


def test_a_rep_of_another_team_neither_sees_nor_changes_the_ticket(in_acme, desk):
    ticket = open_for(desk, description="North's business", contact=desk["contact"])
    outsider = signed_in(in_acme.host, "south@acme.example")
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert outsider.get(url).status_code == 404
    assert patch(outsider, url, {"status": "closed"}).status_code == 404
    assert outsider.get(f"{url}messages/").status_code == 404
    assert post(outsider, f"{url}messages/", {"body": "hi"}).status_code == 404
    assert post(outsider, f"{url}merge/", {"ticket": ticket.pk}).status_code == 404
    assert outsider.get("/api/v1/tickets/").json()["results"] == []
    # Nor can they merge their own ticket into it.
    theirs = open_for(desk, owner=desk["outsider"], team=desk["south"])
    assert post(outsider, f"/api/v1/tickets/{theirs.pk}/merge/",
                {"ticket": ticket.pk}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert ticket.messages.count() == 1
    # A portal customer gets nothing from the staff API, not even their own ticket.
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.get(url).status_code == 403
    assert customer.get("/api/v1/tickets/").status_code == 403
    # The rep of the ticket's team does see it.
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert rep.get(url).json()["subject"] == "Printer on fire"


def test_globex_cannot_read_or_change_acme_tickets(in_acme, desk, globex):
    ticket = open_for(desk, description="Acme only")
    with tenant_context(globex.tenant):
        token = admin_token(globex.tenant)
    client = host_client(globex.host)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert client.get(url, **auth).status_code == 404
    assert client.get("/api/v1/tickets/", **auth).json()["results"] == []
    assert client.patch(url, json.dumps({"status": "closed"}), content_type="application/json",
                        **auth).status_code == 404
    assert client.post(f"{url}messages/", {"body": "hi"}, **auth).status_code == 404
    # acme's token is not accepted on globex's host.
    acme_auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get(url, **acme_auth).status_code in (401, 403)
    with tenant_context(in_acme.tenant):
        ticket.refresh_from_db()
        assert ticket.status == "new"
        assert ticket.messages.count() == 1


# --- Bad input ------------------------------------------------------------------------------

def test_bad_input_is_a_clear_4xx_and_loses_nothing(in_acme, desk, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 1000
    settings.TICKET_MESSAGE_ATTACHMENTS_MAX_BYTES = 1500
    ticket = open_for(desk, description="Keep me", attachments=[upload("a.txt", b"keep")])
    client = admin(in_acme)
    url = f"/api/v1/tickets/{ticket.pk}/"
    assert client.post("/api/v1/tickets/", "{not json", content_type="application/json"
                       ).status_code == 400
    assert client.patch(url, "{not json", content_type="application/json").status_code == 400
    assert patch(client, url, {"status": "exploded"}).status_code == 400
    assert patch(client, url, {"owner": 999999}).status_code == 400
    assert client.get("/api/v1/tickets/?queue=everything").status_code == 400
    assert client.get("/api/v1/tickets/?status=nope").status_code == 400
    assert client.get("/api/v1/tickets/?owner=abc").status_code == 400
    assert post(client, "/api/v1/tickets/", {"subject": ""}).status_code == 400

    count = Ticket.objects.count()
    too_big = client.post("/api/v1/tickets/", {"subject": "Big", "attachments": [
        upload("big.pdf", PDF + b"0" * 2000)]})
    assert too_big.status_code == 413
    together = client.post(f"{url}messages/", {"body": "Two", "attachments": [
        upload("one.pdf", PDF + b"0" * 800), upload("two.pdf", PDF + b"0" * 800)]})
    assert together.status_code == 413
    for name, content in [("run.exe", b"MZ\x90\x00"), ("page.html", b"<html></html>"),
                          ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
                          ("fake.pdf", b"<html><script>alert(1)</script>"),
                          ("fake.png", PDF), ("notes.txt", b"<!DOCTYPE html><p>hi"),
                          ("binary.txt", b"\x00\x01\x02")]:
        refused = client.post(f"{url}messages/", {"body": "x", "attachments": [
            upload(name, content)]})
        assert refused.status_code == 400, name
        assert refused.json()["detail"]
    assert Ticket.objects.count() == count
    ticket.refresh_from_db()
    assert list(ticket.messages.values_list("body", flat=True)) == ["Keep me"]
    assert TicketMessage.objects.filter(ticket=ticket).get().attachments.get().name == "a.txt"
