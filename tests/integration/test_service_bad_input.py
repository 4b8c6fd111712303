"""A sweep over every URL of the service desk, its settings, the surveys, the inbound-mail
endpoint and the portal: junk forms, junk JSON, out-of-range ids and oversized text get a 4xx
(or a page that shows the error), never a 500, and the tickets already stored are unchanged."""

import json
import re

from django.urls import URLPattern, URLResolver, get_resolver

from core.accounts import create_user
from core.roles import SERVICE_AGENT
from crm_apps.service.models import Ticket, TicketMessage
from tests.fixtures.world import PASSWORD, signed_in
from tests.integration.test_portal_tickets import HOST, build_customers, portal_client

SWEPT_PREFIXES = ("app/service/", "app/settings/service/", "survey/", "inbound/", "portal/",
                  "api/v1/tickets/", "api/v1/canned-replies/", "api/v1/ticket-assignment-rules/",
                  "api/v1/sla-policies/", "api/v1/business-hours/", "api/v1/holidays/",
                  "api/v1/service-reports/")
# Pages whose whole point is to end the session or that other tests cover with real mail.
SKIPPED = ("portal/logout/",)
HUGE = "x" * 300_000
JUNK_FORMS = [
    {},
    {"body": HUGE, "subject": HUGE, "name": HUGE, "comment": HUGE, "q": HUGE},
    {"status": "lost", "priority": "meh", "kind": "?", "action": "explode", "score": "11",
     "visibility": "everyone", "owner": "abc", "team": "-1", "other": "T-999999999999",
     "weekday": "9", "start": "25:00", "end": "nope", "date": "2026-02-31",
     "first_response_minutes": "-5", "page": "0", "pk": "1e9", "email": "not-an-email"},
    {"owner": "999999999", "team": "999999999", "contact": "999999999", "account": "999999999",
     "tag": "999999999", "order": "999999999", "canned": "999999999", "merge-other": "T-1"},
]
JUNK_BODIES = [b"{", b"[1, 2", json.dumps({"subject": None, "priority": [1]}).encode(),
               "\ud800".encode("utf-8", "surrogatepass"), b"\x00\xff\xfe"]


def routes(patterns=None, prefix="") -> list[str]:
    """Every route under the swept prefixes, as its raw pattern text."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        piece = str(entry.pattern).removeprefix("^").removesuffix("$").replace("\\Z", "")
        route = prefix + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", piece)
        if "<format>" in route:  # DRF's ".json" twins of the same views
            continue
        if isinstance(entry, URLResolver):
            found += routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith(SWEPT_PREFIXES):
            found.append(route)
    return sorted(set(found))


def concrete(route: str, ids: dict) -> str:
    """The route with its converters filled with ids of existing rows (or junk for tokens)."""
    path = route
    for converter, value in (("<int:pk>", ids["ticket"]), ("<pk>", ids["ticket"]),
                             ("<int:attachment_pk>", ids["attachment"]),
                             ("<attachment_id>", ids["attachment"]),
                             ("<str:number>", "ORDER-ALPHA-1"), ("<str:token>", "junk-token"),
                             ("<uidb64>", "MQ"), ("<token>", "set-password"),
                             ("<str:uidb64>", "MQ")):
        path = path.replace(converter, str(value))
    return "/" + path


def test_every_desk_and_portal_url_answers_junk_without_a_500(in_acme):
    world = build_customers()
    create_user(email="agent@acme.example", password=PASSWORD, role=SERVICE_AGENT)
    ids = {"ticket": world["ticket_a"].pk, "attachment": world["attachment_a"].pk}
    before = list(Ticket.everything.order_by("pk").values())
    messages = TicketMessage.objects.count()
    paths = [concrete(route, ids) for route in routes() if not route.startswith(SKIPPED)]
    assert len(paths) > 60, paths  # the sweep reaches the desk, settings, API and portal
    clients = {"agent": signed_in(HOST, "agent@acme.example"),
               "admin": signed_in(HOST, "admin@acme.example"),
               "customer": portal_client("customer@acme.example")}
    failures = []
    for who, client in clients.items():
        for path in paths:
            attempts = [("get", {"q": HUGE, "page": "-1", "status": "lost"}, None)]
            attempts += [("post", form, None) for form in JUNK_FORMS]
            attempts += [("post", body, "application/json") for body in JUNK_BODIES]
            attempts += [("patch", body, "application/json") for body in JUNK_BODIES[:2]]
            for method, data, content_type in attempts:
                call = getattr(client, method)
                kwargs = {"content_type": content_type} if content_type else {}
                response = call(path, data, **kwargs)
                if response.status_code >= 500:
                    failures.append((who, method, path, str(data)[:60], response.status_code))
    assert failures == []
    # Junk changed nothing already stored (the sweep's own valid-looking posts may add rows,
    # but none of the stored tickets lost or changed a field).
    after = {row["id"]: row for row in Ticket.everything.order_by("pk").values()}
    for row in before:
        kept = after[row["id"]]
        assert (kept["subject"], kept["status"], kept["owner_id"], kept["contact_id"],
                kept["merged_into_id"]) == (row["subject"], row["status"], row["owner_id"],
                                            row["contact_id"], row["merged_into_id"])
    assert TicketMessage.objects.count() >= messages


def test_the_sweep_covers_the_pages_it_names():
    """A guard on the sweep itself: the routes it walks include the ticket pages, the portal's
    ticket pages and the API, so a refactor of the URL tree cannot silently empty it."""
    found = routes()
    for expected in ("app/service/<int:pk>/reply/", "portal/tickets/<int:pk>/reply/",
                     "app/settings/service/holidays/", "inbound/email/", "survey/<str:token>/"):
        assert expected in found, expected
    assert any(route.startswith("api/v1/tickets/") for route in found)
