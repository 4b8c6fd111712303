"""The customer's ticket pages: every URL scoped by portal.policy (another customer, a company
admin, staff, another tenant), internal notes never shown, create with attachments and a
related order, reply, close, reopen, satisfaction, bad input and paging."""

import asyncio
import contextlib
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from core.accounts import create_user
from core.roles import PORTAL_CUSTOMER
from crm_apps.customers.models import Account, Contact
from crm_apps.service import services
from crm_apps.service.models import SatisfactionSurvey, Ticket, TicketMessage
from realtime.models import Notification
from tenants.models import Tenant
from tests.fixtures.sockets import login_cookie, next_message, open_socket
from tests.fixtures.world import PASSWORD, host_client, signed_in

Order = get_model("order", "Order")
HOST = "acme.localhost"
SECRET_NOTE = "INTERNAL-NOTE discount margin 42%"


def portal_client(email: str, host: str = HOST):
    return host_client(host, email=email, login_path="/portal/login/")


def make_order(number: str, user, total="120.00") -> "Order":
    return Order.objects.create(
        number=number, site=Site.objects.filter(pk=settings.SITE_ID).first(), user=user,
        currency="CNY", total_incl_tax=Decimal(total), total_excl_tax=Decimal(total),
        status="Pending", date_placed=timezone.now())


def build_customers() -> dict:
    """In acme: customer A (account Initech), A's company admin, customer B (account
    Umbrella); a ticket and an order for A and for B (in the current schema)."""
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    initech = Account.objects.create(name="Initech", owner=rep)
    umbrella = Account.objects.create(name="Umbrella", owner=rep)
    user_a = users.get(email="customer@acme.example")
    user_b = users.get(email="other@acme.example")
    user_boss = create_user(email="boss@acme.example", password=PASSWORD,
                            role=PORTAL_CUSTOMER, first_name="Boss")
    contact_a = Contact.objects.create(first_name="Wei", last_name="Zhang", account=initech,
                                       email=user_a.email, portal_user=user_a, owner=rep)
    boss = Contact.objects.create(first_name="Li", last_name="Boss", account=initech,
                                  email=user_boss.email, portal_user=user_boss,
                                  portal_admin=True, owner=rep)
    contact_b = Contact.objects.create(first_name="Bo", last_name="Other", account=umbrella,
                                       email=user_b.email, portal_user=user_b, owner=rep)
    order_a = make_order("ORDER-ALPHA-1", user_a)
    order_b = make_order("ORDER-BRAVO-1", user_b)
    ticket_a = services.open_ticket(
        subject="Printer ALPHA-SUBJECT jams", description="ALPHA-DESCRIPTION paper",
        channel="portal", contact=contact_a, by_contact=contact_a, order=order_a,
        attachments=[SimpleUploadedFile("alpha.txt", b"ALPHA-FILE contents",
                                        content_type="text/plain")])
    services.add_message(ticket_a, body=SECRET_NOTE, visibility="internal", author=rep)
    services.add_message(ticket_a, body="ALPHA staff answer", author=rep)
    ticket_b = services.open_ticket(subject="Umbrella BRAVO-SUBJECT leaks",
                                    description="BRAVO-DESCRIPTION", channel="portal",
                                    contact=contact_b, by_contact=contact_b)
    return {"rep": rep, "initech": initech, "umbrella": umbrella, "contact_a": contact_a,
            "boss": boss, "contact_b": contact_b, "order_a": order_a, "order_b": order_b,
            "ticket_a": ticket_a, "ticket_b": ticket_b,
            "attachment_a": ticket_a.messages.get(visibility="public",
                                                  author__isnull=True).attachments.get()}


@pytest.fixture
def world(in_acme):
    return build_customers()


A_SECRETS = [b"ALPHA-SUBJECT", b"ALPHA-DESCRIPTION", b"ALPHA-FILE", b"ALPHA staff answer"]


def ticket_urls(ticket, attachment) -> list[tuple[str, str, dict]]:
    """Every portal URL naming one ticket: (method, path, data)."""
    base = f"/portal/tickets/{ticket.pk}/"
    return [
        ("get", base, {}),
        ("get", base + "?part=live", {}),
        ("post", base + "reply/", {"body": "B writes on A's ticket"}),
        ("post", base + "status/", {"action": "close"}),
        ("post", base + "status/", {"action": "reopen"}),
        ("post", base + "satisfaction/", {"score": "1"}),
        ("get", base + f"attachments/{attachment.pk}/", {}),
    ]


def leaked(response, secrets) -> list[bytes]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [secret for secret in secrets if secret in body]


def test_another_customer_gets_404_for_every_ticket_url_and_sees_none_of_it(world):
    ticket = world["ticket_a"]
    client = portal_client("other@acme.example")
    for method, path, data in ticket_urls(ticket, world["attachment_a"]):
        response = getattr(client, method)(path, data)
        assert response.status_code == 404, (method, path)
        assert leaked(response, A_SECRETS + [ticket.number.encode()]) == [], path
    listing = client.get("/portal/tickets/")
    assert listing.status_code == 200
    assert b"BRAVO-SUBJECT" in listing.content
    assert leaked(listing, A_SECRETS + [ticket.number.encode()]) == []
    ticket.refresh_from_db()
    assert ticket.status != Ticket.Status.CLOSED
    assert not ticket.messages.filter(body__startswith="B writes").exists()


def test_a_company_admin_sees_colleagues_tickets_but_not_another_accounts(world):
    client = portal_client("boss@acme.example")
    listing = client.get("/portal/tickets/")
    assert b"ALPHA-SUBJECT" in listing.content
    assert b"BRAVO-SUBJECT" not in listing.content
    for method, path, _data in ticket_urls(world["ticket_a"], world["attachment_a"]):
        if method == "get":
            assert client.get(path).status_code == 200, path
    b_attachment_free = world["ticket_b"]
    for method, path, _data in ticket_urls(b_attachment_free, world["attachment_a"]):
        if method == "get":
            response = client.get(path)
            assert response.status_code == 404, path
            assert b"BRAVO" not in response.content
    # The plain customer A does not see the colleague's view of the account either.
    assert portal_client("customer@acme.example").get(
        f"/portal/tickets/{world['ticket_b'].pk}/").status_code == 404


def test_staff_have_no_portal_tickets_and_strangers_must_sign_in(world):
    staff = signed_in(HOST, "rep@acme.example")
    anonymous = host_client(HOST)
    paths = ["/portal/tickets/", "/portal/tickets/new/", "/portal/tickets/suggest/?q=printer",
             *[path for _m, path, _d in ticket_urls(world["ticket_a"], world["attachment_a"])]]
    for path in paths:
        refused = staff.get(path)
        assert refused.status_code == 403, path
        assert leaked(refused, A_SECRETS) == []
        sent_away = anonymous.get(path)
        assert sent_away.status_code == 302, path
        assert sent_away["Location"].startswith("/portal/login/")


def test_a_customer_of_another_tenant_gets_404(world, globex):
    ticket = world["ticket_a"]
    with tenant_context(globex.tenant):
        user = get_user_model().objects.get(email="customer@globex.example")
        rep = get_user_model().objects.get(email="rep@globex.example")
        account = Account.objects.create(name="Globex buyer", owner=rep)
        Contact.objects.create(first_name="G", last_name="Buyer", account=account,
                               email=user.email, portal_user=user, portal_admin=True)
    client = portal_client("customer@globex.example", host=globex.host)
    for method, path, data in ticket_urls(ticket, world["attachment_a"]):
        response = getattr(client, method)(path, data)
        assert response.status_code == 404, (method, path)
        assert leaked(response, A_SECRETS) == []
    assert leaked(client.get("/portal/tickets/"), A_SECRETS) == []


def test_internal_notes_never_reach_the_customers_pages(world):
    ticket = world["ticket_a"]
    assert ticket.messages.filter(visibility=TicketMessage.Visibility.INTERNAL).exists()
    for email in ("customer@acme.example", "boss@acme.example"):
        client = portal_client(email)
        page = client.get(f"/portal/tickets/{ticket.pk}/")
        assert b"ALPHA staff answer" in page.content
        for path in (f"/portal/tickets/{ticket.pk}/", f"/portal/tickets/{ticket.pk}/?part=live",
                     "/portal/tickets/", "/portal/tickets/suggest/?q=discount+margin"):
            assert SECRET_NOTE.encode() not in client.get(path).content, path


def test_an_attachment_of_an_internal_note_is_not_served(world):
    ticket, rep = world["ticket_a"], world["rep"]
    note = services.add_message(ticket, body="see file", visibility="internal", author=rep,
                                attachments=[SimpleUploadedFile("inner.txt", b"STAFF-ONLY")])
    hidden = note.attachments.get()
    client = portal_client("customer@acme.example")
    response = client.get(f"/portal/tickets/{ticket.pk}/attachments/{hidden.pk}/")
    assert response.status_code == 404
    shown = client.get(f"/portal/tickets/{ticket.pk}/attachments/{world['attachment_a'].pk}/")
    assert shown.status_code == 200
    assert b"".join(shown.streaming_content) == b"ALPHA-FILE contents"
    assert "attachment" in shown["Content-Disposition"]


def test_opening_a_ticket_with_attachments_and_an_order(world):
    client = portal_client("customer@acme.example")
    form = client.get("/portal/tickets/new/")
    assert form.status_code == 200
    assert b"ORDER-ALPHA-1" in form.content
    assert b"ORDER-BRAVO-1" not in form.content  # another customer's order is no choice
    response = client.post("/portal/tickets/new/", {
        "subject": "Screen flickers", "description": "Since Monday", "kind": "incident",
        "order": "ORDER-ALPHA-1",
        "attachments": [SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50,
                                           content_type="image/png"),
                        SimpleUploadedFile("log.txt", b"error 7", content_type="text/plain")],
    })
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Screen flickers")
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.kind, ticket.contact, ticket.account, ticket.order) == (
        "portal", "incident", world["contact_a"], world["initech"], world["order_a"])
    first = ticket.messages.get()
    assert first.author_contact == world["contact_a"]
    assert sorted(first.attachments.values_list("name", flat=True)) == ["log.txt", "photo.png"]
    page = client.get(response["Location"])
    assert b"Since Monday" in page.content
    assert b"photo.png" in page.content


def test_bad_new_tickets_are_refused_with_the_text_kept(world, settings):
    client = portal_client("customer@acme.example")
    before = Ticket.objects.count()
    empty = client.post("/portal/tickets/new/", {"subject": "", "description": "Kept text",
                                                 "kind": "question"})
    assert empty.status_code == 400
    assert b"Kept text" in empty.content
    forged = client.post("/portal/tickets/new/", {"subject": "About B's order",
                                                  "kind": "question",
                                                  "order": "ORDER-BRAVO-1"})
    assert forged.status_code == 400
    assert b"About B&#x27;s order" in forged.content
    assert b"ORDER-BRAVO-1" not in forged.content.replace(b'value="ORDER-BRAVO-1"', b"")
    settings.TICKET_ATTACHMENT_MAX_BYTES = 100
    big = client.post("/portal/tickets/new/", {
        "subject": "Big file", "kind": "question",
        "attachments": [SimpleUploadedFile("big.txt", b"x" * 500)]})
    assert big.status_code == 413
    assert b"Big file" in big.content
    assert b"larger than" in big.content
    program = client.post("/portal/tickets/new/", {
        "subject": "Run me", "kind": "question",
        "attachments": [SimpleUploadedFile("tool.exe", b"MZ\x90\x00")]})
    assert program.status_code == 400
    unknown_kind = client.post("/portal/tickets/new/", {"subject": "x", "kind": "hack"})
    assert unknown_kind.status_code == 400
    assert Ticket.objects.count() == before


def test_reply_close_reopen_and_satisfaction(world):
    ticket, rep = world["ticket_a"], world["rep"]
    client = portal_client("customer@acme.example")
    path = f"/portal/tickets/{ticket.pk}/"
    replied = client.post(path + "reply/", {
        "body": "Still jams", "attachments": [SimpleUploadedFile("more.txt", b"details")]})
    assert replied.status_code == 302
    reply = ticket.messages.latest("id")
    assert (reply.body, reply.author_contact, reply.visibility) == (
        "Still jams", world["contact_a"], "public")
    assert reply.attachments.get().name == "more.txt"
    assert client.post(path + "reply/", {"body": ""}).status_code == 400

    assert client.post(path + "status/", {"action": "close"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert b'id="reopen-ticket"' in client.get(path).content
    assert client.post(path + "status/", {"action": "close"}).status_code == 409
    assert client.post(path + "status/", {"action": "delete"}).status_code == 400
    assert client.post(path + "status/", {"action": "reopen"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert client.post(path + "status/", {"action": "reopen"}).status_code == 409

    assert client.post(path + "satisfaction/", {"score": "5"}).status_code == 409  # no survey
    services.change_status(ticket, "resolved", by=rep)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    page = client.get(path)
    assert b'id="survey-form"' in page.content
    assert client.post(path + "satisfaction/", {"score": "9"}).status_code == 400
    answered = client.post(path + "satisfaction/", {"score": "4", "comment": "Quick, thanks"})
    assert answered.status_code == 302
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "Quick, thanks")
    assert b'id="survey-form"' not in client.get(path).content


def test_the_list_filters_by_status_and_pages_by_id_in_few_queries(
        world, django_assert_max_num_queries):
    contact = world["contact_a"]
    for number in range(30):
        Ticket.objects.create(subject=f"Bulk ticket {number:02d}", contact=contact,
                              account=world["initech"], channel="portal",
                              status="resolved" if number % 2 else "open")
    client = portal_client("customer@acme.example")
    with CaptureQueriesContext(connection) as few:
        client.get("/portal/tickets/?status=closed")  # an empty page
    # A full page costs what an empty one does: no query per row.
    with django_assert_max_num_queries(len(few)):
        first = client.get("/portal/tickets/")
    assert first.content.count(b"Bulk ticket") == 25
    assert b"Bulk ticket 29" in first.content
    older = first.context["older"]
    second = client.get(f"/portal/tickets/?before={older}")
    assert second.content.count(b"Bulk ticket") == 5
    assert b"ALPHA-SUBJECT" in second.content
    resolved = client.get("/portal/tickets/?status=done")
    assert resolved.content.count(b"Bulk ticket") == 15
    assert b"ALPHA-SUBJECT" not in resolved.content
    for bad in ("?status=bogus", "?before=abc", "?before=-3"):
        assert client.get("/portal/tickets/" + bad).status_code == 400, bad


def test_suggested_articles_come_from_the_knowledge_base(world, monkeypatch):
    asked = []

    def fake_suggest(text, language=None, limit=5):
        asked.append((text, limit))
        return [{"id": 1, "title": "Clearing a paper jam", "url": "/help/jam/",
                 "portal_url": "/portal/help/jam/", "snippet": "Open the tray"}]

    monkeypatch.setattr("cms.knowledge.suggest", fake_suggest)
    client = portal_client("customer@acme.example")
    response = client.get("/portal/tickets/suggest/", {"q": "paper jam"})
    assert response.status_code == 200
    assert response.json() == {"results": [{"title": "Clearing a paper jam",
                                            "url": "/portal/help/jam/",
                                            "snippet": "Open the tray"}]}
    assert asked == [("paper jam", 5)]
    assert client.get("/portal/tickets/suggest/", {"q": "ab"}).json() == {"results": []}
    assert client.get("/portal/tickets/suggest/", {"q": "x" * 500}).status_code == 400


def test_a_portal_login_without_a_contact_cannot_open_tickets(in_acme):
    create_user(email="loose@acme.example", password=PASSWORD, role=PORTAL_CUSTOMER)
    client = portal_client("loose@acme.example")
    assert client.get("/portal/tickets/").status_code == 200
    assert client.get("/portal/tickets/new/").status_code == 403
    assert client.post("/portal/tickets/new/", {"subject": "x", "kind": "question"}
                       ).status_code == 403


def test_the_portal_nav_leads_to_tickets_orders_and_help(world):
    page = portal_client("customer@acme.example").get("/portal/")
    for link in (b'href="/portal/tickets/"', b'href="/portal/orders/"', b'href="/portal/help/"'):
        assert link in page.content



@pytest.fixture
def committed_ticket(committed):
    """A contact of customer@acme with a ticket, committed for the server process."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        user = get_user_model().objects.get(email="customer@acme.example")
        account = Account.objects.create(name="Live tickets")
        contact = Contact.objects.create(first_name="Live", last_name="Customer",
                                         account=account, email=user.email, portal_user=user)
        ticket = services.open_ticket(subject="Live ticket", channel="portal", contact=contact,
                                      by_contact=contact)
        last_notification = Notification.objects.order_by("-id").values_list("id", flat=True)
        mark = last_notification.first() or 0
    yield tenant, ticket
    with tenant_context(tenant):
        Notification.objects.filter(id__gt=mark).delete()
        Ticket.everything.filter(pk=ticket.pk).delete()
        contact.delete()
        account.delete()


def test_a_staff_reply_reaches_the_customers_socket_and_an_internal_note_never_does(
        live_asgi, committed_ticket):
    tenant, ticket = committed_ticket
    session = login_cookie(live_asgi, HOST, "customer@acme.example", "/portal/login/")

    def staff_writes():
        try:
            with tenant_context(tenant):
                rep = get_user_model().objects.get(email="rep@acme.example")
                services.add_message(ticket, body=SECRET_NOTE, visibility="internal",
                                     author=rep)
                services.add_message(ticket, body="LIVE public answer", author=rep)
        finally:
            connection.close()  # this thread's own connection

    async def scenario():
        frames = []
        async with open_socket(live_asgi, HOST, session=session) as socket:
            assert (await next_message(socket))["type"] == "hello"
            await asyncio.to_thread(staff_writes)
            with contextlib.suppress(TimeoutError):
                while True:
                    frames.append(await asyncio.wait_for(socket.recv(), 2.0))
        return frames

    frames = asyncio.run(scenario())
    assert any("LIVE public answer" in frame for frame in frames), frames
    assert not [frame for frame in frames if "INTERNAL-NOTE" in frame]
    links = [json.loads(frame).get("notification", {}).get("link") for frame in frames]
    assert f"/portal/tickets/{ticket.pk}/" in links  # what the ticket page refreshes on
