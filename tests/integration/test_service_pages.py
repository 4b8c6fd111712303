"""The desk pages: queues per user and role with their counts and filters, bad query strings,
visibility between teams, tenant isolation, the ticket page (internal notes, replies and notes
with attachments, controls, complaint rules, merge and link, suggested articles), new tickets
by staff, canned replies, and the pages in Chinese."""

import sys
import types
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SERVICE_AGENT
from crm_apps.customers.models import Account, Contact, Tag, Team
from crm_apps.service.models import CannedReply, Ticket, TicketMessage
from tests.fixtures.world import host_client, signed_in

QUEUE = "/app/service/"
PASSWORD = "test-pass-123"  # noqa: S105


def ticket_url(ticket, action=""):
    return f"{QUEUE}{ticket.pk}/{action + '/' if action else ''}"


@pytest.fixture
def desk(in_acme):
    """Team A (agent, lead manager_a) and team B (agent_b, lead manager_b), and tickets."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    agent = create_user(email="agent@acme.example", password=PASSWORD, role=SERVICE_AGENT,
                        first_name="Agent")
    agent_b = create_user(email="agentb@acme.example", password=PASSWORD, role=SERVICE_AGENT)
    manager_a = create_user(email="boss-a@acme.example", password=PASSWORD, role=MANAGER)
    manager_b = create_user(email="boss-b@acme.example", password=PASSWORD, role=MANAGER)
    team_a = Team.objects.create(name="Desk A", lead=manager_a)
    team_a.members.add(agent)
    team_b = Team.objects.create(name="Desk B", lead=manager_b)
    team_b.members.add(agent_b)
    account = Account.objects.create(name="Wanda Trading")
    contact = Contact.objects.create(first_name="Wei", last_name="Zhang",
                                     email="wei@wanda.example", account=account)
    now = timezone.now()

    def ticket(subject, **fields):
        return Ticket.objects.create(subject=subject, **fields)

    tickets = {
        "mine": ticket("Printer jams", owner=agent, team=team_a, contact=contact,
                       account=account, priority="high"),
        "team": ticket("Invoice copy", team=team_a, owner=manager_a),
        "unassigned_a": ticket("Where is my order", team=team_a, kind="service_request"),
        "b": ticket("Broken screen B", owner=agent_b, team=team_b,
                    first_response_due=now + timedelta(hours=1)),
        "soon": ticket("Login fails", owner=agent, team=team_a,
                       first_response_due=now + timedelta(hours=2),
                       resolution_due=now + timedelta(days=2)),
        "overdue": ticket("Refund late", team=team_a, status="open",
                          resolution_due=now - timedelta(hours=1)),
        "responded": ticket("Answered already", team=team_a, status="open",
                            first_response_due=now + timedelta(hours=1),
                            first_responded_at=now - timedelta(minutes=5),
                            resolution_due=now + timedelta(days=3)),
        "done": ticket("Solved", owner=agent, team=team_a, status="resolved",
                       resolved_at=now, resolution_due=now - timedelta(days=1)),
    }
    return {"agent": agent, "agent_b": agent_b, "manager_a": manager_a,
            "manager_b": manager_b, "team_a": team_a, "team_b": team_b, "account": account,
            "contact": contact, "tickets": tickets}


def listed(response) -> set[str]:
    """The subjects listed on a queue page."""
    assert response.status_code == 200, response.content[:500]
    return {ticket.subject for ticket, _clocks in response.context["rows"]}


def counts(response) -> dict:
    return {name: count for name, _label, count in response.context["tabs"]}


def subjects(desk, *keys) -> set[str]:
    return {desk["tickets"][key].subject for key in keys}


def test_each_queue_shows_the_agents_tickets_with_counts(in_acme, desk):
    agent = signed_in(in_acme.host, "agent@acme.example")
    mine = agent.get(QUEUE)
    assert listed(mine) == subjects(desk, "mine", "soon")  # resolved ones leave the queue
    assert listed(agent.get(QUEUE, {"queue": "team"})) == subjects(
        desk, "mine", "team", "unassigned_a", "soon", "overdue", "responded")
    # Agents work the whole desk: unassigned tickets of every team.
    assert listed(agent.get(QUEUE, {"queue": "unassigned"})) == subjects(
        desk, "unassigned_a", "overdue", "responded")
    breaching = agent.get(QUEUE, {"queue": "breaching"})
    # Overdue first, then by the earliest running clock; a met first response is not due.
    assert [t.subject for t, _c in breaching.context["rows"]] == [
        "Refund late", "Broken screen B", "Login fails"]
    assert len(listed(agent.get(QUEUE, {"queue": "all"}))) == 8
    assert counts(mine) == {"mine": 2, "team": 6, "unassigned": 3, "breaching": 3,
                            "all": None}  # the whole desk is counted on its own tab only
    assert counts(agent.get(QUEUE, {"queue": "all"}))["all"] == 8
    text = breaching.content.decode()
    assert 'data-sla="overdue"' in text
    assert 'data-sla="soon"' in text


def test_a_manager_sees_their_team_only(in_acme, desk):
    manager = signed_in(in_acme.host, "boss-b@acme.example")
    response = manager.get(QUEUE, {"queue": "all"})
    assert listed(response) == subjects(desk, "b")
    assert counts(response) == {"mine": 0, "team": 1, "unassigned": 0, "breaching": 1,
                                "all": 1}
    assert listed(manager.get(QUEUE, {"queue": "breaching"})) == subjects(desk, "b")
    lead_a = signed_in(in_acme.host, "boss-a@acme.example")
    assert listed(lead_a.get(QUEUE)) == subjects(desk, "team")
    assert "Broken screen B" not in lead_a.get(QUEUE, {"queue": "all"}).content.decode()


def test_another_teams_ticket_is_a_404_for_a_manager(in_acme, desk):
    theirs = desk["tickets"]["b"]
    manager = signed_in(in_acme.host, "boss-a@acme.example")
    assert manager.get(ticket_url(theirs)).status_code == 404
    assert manager.post(ticket_url(theirs, "reply"),
                        {"body": "Hi", "visibility": "public"}).status_code == 404
    assert manager.post(ticket_url(theirs, "controls"), {
        "status": "closed", "priority": "low"}).status_code == 404
    assert not TicketMessage.objects.filter(ticket=theirs).exists()
    # Merging into, or linking with, a ticket one cannot see is refused like a missing one.
    own = desk["tickets"]["team"]
    response = manager.post(ticket_url(own, "link"), {"link-other": theirs.number})
    assert response.status_code == 400
    assert not own.linked.exists()
    assert "Broken screen B" not in response.content.decode()
    assert signed_in(in_acme.host, "boss-b@acme.example").get(
        ticket_url(theirs)).status_code == 200


def test_filters_narrow_the_queue(in_acme, desk):
    tag = Tag.objects.create(name="vip")
    desk["tickets"]["team"].tags.add(tag)
    agent = signed_in(in_acme.host, "agent@acme.example")

    def found(**query):
        return listed(agent.get(QUEUE, {"queue": "all", **query}))

    assert found(priority="high") == subjects(desk, "mine")
    assert found(kind="service_request") == subjects(desk, "unassigned_a")
    assert found(status="resolved") == subjects(desk, "done")
    assert found(tag=tag.pk) == subjects(desk, "team")
    number = desk["tickets"]["overdue"].number
    assert found(q=number) == subjects(desk, "overdue")
    assert found(q=number.removeprefix("T-").lstrip("0")) == subjects(desk, "overdue")
    assert found(q="printer") == subjects(desk, "mine")
    assert found(q="Zhang") == subjects(desk, "mine")
    assert found(q="wei@wanda") == subjects(desk, "mine")
    assert found(q="nothing like it") == set()


def test_search_matches_any_part_of_the_subject_with_the_trigram_index(in_acme, desk):
    """Chinese subjects match anywhere in the text, LIKE wildcards are plain characters, and
    the API's ``q`` finds what the queue finds. The subject has its trigram index in the
    tenant's schema, and the condition is written in the shape that index serves."""
    from django.db import connection

    from crm_apps.service.queues import search_rule

    Ticket.objects.create(subject="打印机卡纸 100% 故障", team=desk["team_a"])
    agent = signed_in(in_acme.host, "agent@acme.example")

    def found(text):
        return listed(agent.get(QUEUE, {"queue": "all", "q": text}))

    assert found("卡纸") == {"打印机卡纸 100% 故障"}
    assert found("PRINTER JAM") == subjects(desk, "mine")
    assert found("100%") == {"打印机卡纸 100% 故障"}
    assert found("_") == set()
    api = host_client(in_acme.host)
    api.force_login(desk["agent"])
    listed_api = api.get("/api/v1/tickets/", {"q": "zhang"}).json()
    assert {row["subject"] for row in listed_api["results"]} == subjects(desk, "mine")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s "
                       "AND indexname = 'ticket_subject_trgm'", [connection.schema_name])
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition
    sql = str(Ticket.objects.filter(search_rule("卡纸")).query)
    assert '"service_ticket"."subject" ILIKE' in sql
    assert 'UPPER("service_ticket"."subject"' not in sql


def test_a_search_counts_its_matches_only_up_to_the_cap(in_acme, desk, monkeypatch):
    """Counting every match of a common word read them all on each page: the count stops at
    the cap, the pages cover the capped matches, and the page says there are more."""
    from crm_apps.service import queues

    monkeypatch.setattr(queues, "SEARCH_COUNT_CAP", 3)
    for number in range(5):
        Ticket.objects.create(subject=f"Toner low {number}", team=desk["team_a"])
    agent = signed_in(in_acme.host, "agent@acme.example")
    page = agent.get(QUEUE, {"queue": "all", "q": "toner"})
    assert page.status_code == 200
    assert page.context["paginator"].count == 3
    assert "data-more-matches" in page.content.decode()
    assert len(listed(page)) == 3
    exact = agent.get(QUEUE, {"queue": "all", "q": "toner low 4"})
    assert exact.context["paginator"].count == 1
    assert "data-more-matches" not in exact.content.decode()


@pytest.mark.parametrize("query", [
    {"queue": "everything"}, {"status": "lost"}, {"priority": "meh"}, {"kind": "x"},
    {"tag": "abc"}, {"tag": "999999"}, {"page": "abc"}, {"page": "0"}, {"q": "x" * 101},
])
def test_bad_query_strings_are_a_400(in_acme, desk, query):
    response = signed_in(in_acme.host, "agent@acme.example").get(QUEUE, query)
    assert response.status_code == 400
    assert "Clear filters" in response.content.decode()


def test_a_page_past_the_end_shows_the_last_page(in_acme, desk):
    response = signed_in(in_acme.host, "agent@acme.example").get(
        QUEUE, {"queue": "all", "page": "99"})
    assert len(listed(response)) == 8


def test_the_queue_page_costs_the_same_queries_with_more_tickets(
        in_acme, desk, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = signed_in(in_acme.host, "agent@acme.example")
    agent.get(QUEUE, {"queue": "all"})  # sessions and caches warmed
    with CaptureQueriesContext(connection) as few:
        agent.get(QUEUE, {"queue": "all"})
    assert len(few.captured_queries) <= 30  # half of them set the search path
    for number in range(30):
        Ticket.objects.create(subject=f"More {number}", owner=desk["agent"],
                              team=desk["team_a"], contact=desk["contact"],
                              account=desk["account"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        agent.get(QUEUE, {"queue": "all"})


def test_another_tenant_sees_none_of_the_tickets(in_acme, desk, globex):
    ticket = desk["tickets"]["mine"]
    with tenant_context(globex.tenant):
        admin = signed_in(globex.host, "admin@globex.example")
        response = admin.get(QUEUE, {"queue": "all"})
        assert listed(response) == set()
        assert admin.get(ticket_url(ticket)).status_code == 404
        assert admin.post(ticket_url(ticket, "reply"),
                          {"body": "From globex", "visibility": "public"}).status_code == 404
    assert not TicketMessage.objects.filter(body="From globex").exists()


def test_the_ticket_page_shows_notes_apart_from_replies(in_acme, desk):
    ticket = desk["tickets"]["mine"]
    TicketMessage.objects.create(ticket=ticket, body="Customer says hello",
                                 author_contact=desk["contact"], channel="portal")
    TicketMessage.objects.create(ticket=ticket, body="Staff-only remark",
                                 visibility="internal", author=desk["agent"])
    page = signed_in(in_acme.host, "agent@acme.example").get(ticket_url(ticket))
    text = page.content.decode()
    assert "Customer says hello" in text
    assert "Staff-only remark" in text
    assert 'data-visibility="internal"' in text
    assert "Internal note" in text
    assert "Printer jams" in text


def test_a_reply_and_a_note_with_an_attachment_are_saved(in_acme, desk, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = desk["tickets"]["mine"]
    agent = signed_in(in_acme.host, "agent@acme.example")
    response = agent.post(ticket_url(ticket, "reply"), {
        "body": "Please restart it.", "visibility": "public",
        "attachments": [SimpleUploadedFile("steps.txt", b"1. off\n2. on\n", "text/plain")]})
    assert response.status_code == 303, response.content[:800]
    reply = TicketMessage.objects.get(ticket=ticket, body="Please restart it.")
    assert reply.visibility == "public"
    assert reply.author == desk["agent"]
    assert [file.name for file in reply.attachments.all()] == ["steps.txt"]
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert agent.post(ticket_url(ticket, "reply"), {
        "body": "Customer is impatient", "visibility": "internal"}).status_code == 303
    note = TicketMessage.objects.get(ticket=ticket, body="Customer is impatient")
    assert note.visibility == "internal"
    page = agent.get(ticket_url(ticket)).content.decode()
    download = f"{QUEUE}attachments/{reply.attachments.get().pk}/"
    assert download in page
    assert agent.get(download).status_code == 200
    # A manager of another team gets neither the ticket nor its file.
    assert signed_in(in_acme.host, "boss-b@acme.example").get(download).status_code == 404


def test_bad_replies_are_a_400(in_acme, desk, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = desk["tickets"]["mine"]
    agent = signed_in(in_acme.host, "agent@acme.example")
    assert agent.post(ticket_url(ticket, "reply"), {"body": "",
                                                    "visibility": "public"}).status_code == 400
    assert agent.post(ticket_url(ticket, "reply"), {"body": "x",
                                                    "visibility": "shout"}).status_code == 400
    program = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", "application/octet-stream")
    response = agent.post(ticket_url(ticket, "reply"), {
        "body": "Try this", "visibility": "public", "attachments": [program]})
    assert response.status_code in (400, 413)
    assert not TicketMessage.objects.filter(body="Try this").exists()


def test_controls_change_status_priority_assignee_and_tags(in_acme, desk):
    ticket = desk["tickets"]["unassigned_a"]
    tag = Tag.objects.create(name="urgent-customer")
    agent = signed_in(in_acme.host, "agent@acme.example")
    response = agent.post(ticket_url(ticket, "controls"), {
        "status": "pending", "priority": "urgent", "owner": desk["agent"].pk,
        "team": desk["team_a"].pk, "tags": [tag.pk]})
    assert response.status_code == 303, response.content[:800]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.owner, ticket.team) == (
        "pending", "urgent", desk["agent"], desk["team_a"])
    assert list(ticket.tags.all()) == [tag]
    assert agent.post(ticket_url(ticket, "controls"), {
        "status": "gone", "priority": "urgent"}).status_code == 400


def test_complaint_rules(in_acme, desk):
    ticket = Ticket.objects.create(subject="Rude driver", kind="complaint", team=desk["team_a"],
                                   owner=desk["agent"])
    agent = signed_in(in_acme.host, "agent@acme.example")
    manager = signed_in(in_acme.host, "boss-a@acme.example")
    page = agent.get(ticket_url(ticket)).content.decode()
    assert 'id="complaint-panel"' in page
    assert 'id="sign-off-button"' not in page  # agents cannot sign off
    assert 'id="sign-off-button"' in manager.get(ticket_url(ticket)).content.decode()
    # No cause and correction yet: no sign-off, no closing.
    assert manager.post(ticket_url(ticket, "sign-off")).status_code == 409
    closing = {"status": "closed", "priority": "normal", "owner": desk["agent"].pk,
               "team": desk["team_a"].pk}
    assert agent.post(ticket_url(ticket, "controls"), closing).status_code == 409
    assert agent.post(ticket_url(ticket, "complaint"), {
        "severity": "major", "root_cause": "Training gap",
        "corrective_action": "Driver retrained"}).status_code == 303
    assert agent.post(ticket_url(ticket, "complaint"), {"severity": "awful"}).status_code == 400
    assert agent.post(ticket_url(ticket, "sign-off")).status_code == 403
    assert agent.post(ticket_url(ticket, "controls"), closing).status_code == 409
    assert manager.post(ticket_url(ticket, "sign-off")).status_code == 303
    assert 'id="signed-off"' in agent.get(ticket_url(ticket)).content.decode()
    assert agent.post(ticket_url(ticket, "controls"), closing).status_code == 303
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity, ticket.signed_off_by) == (
        "closed", "major", desk["manager_a"])
    # The panel and its sign-off are for complaints only.
    question = desk["tickets"]["mine"]
    assert 'id="complaint-panel"' not in agent.get(ticket_url(question)).content.decode()
    assert manager.post(ticket_url(desk["tickets"]["team"], "sign-off")).status_code == 400


def test_merge_and_link(in_acme, desk):
    duplicate, original = desk["tickets"]["team"], desk["tickets"]["overdue"]
    TicketMessage.objects.create(ticket=duplicate, body="Same problem", author=desk["agent"])
    agent = signed_in(in_acme.host, "agent@acme.example")
    other = desk["tickets"]["mine"]
    assert agent.post(ticket_url(other, "link"),
                      {"link-other": original.number}).status_code == 303
    assert list(other.linked.all()) == [original]
    assert agent.post(ticket_url(other, "link"), {"link-other": "no"}).status_code == 400
    response = agent.post(ticket_url(duplicate, "merge"), {"merge-other": original.number})
    assert response.status_code == 303
    assert response["Location"] == ticket_url(original)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == original
    assert TicketMessage.objects.get(body="Same problem").ticket == original
    # A merged ticket leaves the queues.
    assert duplicate.subject not in listed(agent.get(QUEUE, {"queue": "all"}))
    assert agent.post(ticket_url(original, "merge"),
                      {"merge-other": original.number}).status_code == 400


def test_suggested_articles_show_when_the_knowledge_base_answers(in_acme, desk, monkeypatch):
    ticket = desk["tickets"]["mine"]
    agent = signed_in(in_acme.host, "agent@acme.example")
    knowledge = types.ModuleType("cms.knowledge")
    asked = []

    def suggest(text, language=None, limit=5):
        asked.append(text)
        return [{"title": "Clearing a paper jam", "url": "/help/jam/", "snippet": "Open it"}]

    knowledge.suggest = suggest
    monkeypatch.setitem(sys.modules, "cms.knowledge", knowledge)
    page = agent.get(ticket_url(ticket)).content.decode()
    assert "Clearing a paper jam" in page
    assert "Printer jams" in asked[0]

    def broken(text, language=None, limit=5):
        raise RuntimeError("search is down")

    knowledge.suggest = broken
    response = agent.get(ticket_url(ticket))
    assert response.status_code == 200
    assert 'id="suggested-articles"' not in response.content.decode()


def test_staff_open_a_ticket_for_a_caller(in_acme, desk, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    agent = signed_in(in_acme.host, "agent@acme.example")
    assert agent.get(f"{QUEUE}new/").status_code == 200
    response = agent.post(f"{QUEUE}new/", {
        "subject": "Phone: fridge is warm", "description": "Called at 9",
        "channel": "phone", "kind": "service_request", "priority": "high",
        "contact": desk["contact"].pk, "team": desk["team_a"].pk, "owner": desk["agent"].pk,
        "attachments": [SimpleUploadedFile("note.txt", b"serial 42", "text/plain")]})
    assert response.status_code == 303, response.content[:800]
    ticket = Ticket.objects.get(subject="Phone: fridge is warm")
    assert response["Location"] == ticket_url(ticket)
    assert (ticket.channel, ticket.kind, ticket.account, ticket.owner) == (
        "phone", "service_request", desk["account"], desk["agent"])
    assert ticket.messages.get().attachments.count() == 1
    assert agent.post(f"{QUEUE}new/", {"subject": "", "channel": "phone", "kind": "question",
                                       "priority": "normal"}).status_code == 400
    # A manager cannot file a ticket under a contact they cannot see.
    hidden = Contact.objects.create(first_name="Secret", email="s@x.example",
                                    owner=desk["agent_b"], team=desk["team_b"])
    manager = signed_in(in_acme.host, "boss-a@acme.example")
    assert manager.post(f"{QUEUE}new/", {
        "subject": "Sneaky", "channel": "phone", "kind": "question", "priority": "normal",
        "contact": hidden.pk}).status_code == 400
    assert not Ticket.objects.filter(subject="Sneaky").exists()


def test_canned_replies_are_kept_and_offered(in_acme, desk):
    agent = signed_in(in_acme.host, "agent@acme.example")
    assert agent.post(f"{QUEUE}canned/new/", {"title": "Restart", "body": "Please restart.",
                                              "language": "en"}).status_code == 303
    reply = CannedReply.objects.get(title="Restart")
    assert reply.created_by == desk["agent"]
    assert "Restart" in agent.get(f"{QUEUE}canned/").content.decode()
    assert agent.post(f"{QUEUE}canned/{reply.pk}/", {"title": "Restart it", "body": "Off, on.",
                                                     "language": ""}).status_code == 303
    page = agent.get(ticket_url(desk["tickets"]["mine"])).content.decode()
    assert 'data-body="Off, on."' in page
    assert agent.post(f"{QUEUE}canned/new/", {"title": "", "body": ""}).status_code == 400
    assert agent.post(f"{QUEUE}canned/{reply.pk}/delete/").status_code == 303
    assert not CannedReply.objects.exists()
    assert agent.get(f"{QUEUE}canned/999999/").status_code == 404


def test_customers_and_strangers_are_kept_out(in_acme, desk):
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.get(QUEUE).status_code in (302, 403, 404)
    assert customer.get(ticket_url(desk["tickets"]["mine"])).status_code in (302, 403, 404)
    from django.test import Client

    anonymous = Client(HTTP_HOST=in_acme.host)
    assert anonymous.get(QUEUE).status_code == 302


def test_the_pages_read_in_chinese(in_acme, desk):
    ticket = Ticket.objects.create(subject="打印机卡纸", kind="complaint", team=desk["team_a"])
    agent = signed_in(in_acme.host, "agent@acme.example")
    agent.cookies["django_language"] = "zh-hans"
    for path in (QUEUE, ticket_url(ticket), f"{QUEUE}new/", f"{QUEUE}canned/"):
        text = agent.get(path).content.decode()
        assert '<html lang="zh-hans">' in text, path
        assert "客户" in text, path  # the navigation, in Chinese
    assert "打印机卡纸" in agent.get(QUEUE, {"queue": "all"}).content.decode()
