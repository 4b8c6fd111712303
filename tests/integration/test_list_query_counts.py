"""Account and contact lists, pages and API alike, cost the same number of queries whether they
show 5 rows or 40: no query per row, for a tenant admin and for a sales rep."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Contact, CustomerClass, Tag, Team
from tests.fixtures.world import PASSWORD, signed_in

LISTS = [
    "/app/customers/contacts/",
    "/app/customers/contacts/?sort=name",
    "/app/customers/contacts/?q=Person",
    "/app/customers/contacts/?q=张",
    "/app/customers/accounts/",
    "/app/customers/accounts/?q=Firm",
    "/api/v1/contacts/",
    "/api/v1/contacts/?q=Person",
    "/api/v1/accounts/",
    "/api/v1/accounts/?q=Firm",
]


@pytest.fixture
def team(in_acme):
    """rep and a teammate in team North; their records are what the rep's lists show."""
    rep = get_user_model().objects.get(email="rep@acme.example")
    mate = create_user(email="mate@acme.example", password=PASSWORD, role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep, mate)
    return {"owners": [rep, mate], "team": north,
            "tags": [Tag.objects.create(name=f"tag {n}") for n in range(3)],
            "classes": [CustomerClass.objects.create(name=f"class {n}") for n in range(2)]}


def add_records(team, count: int, start: int) -> None:
    """``count`` accounts with a contact each, every one with its own owner, tags, classes
    and parent, so that anything loaded row by row would show in the count."""
    for number in range(start, start + count):
        owner = team["owners"][number % 2]
        parent = Account.objects.filter(name__startswith="Firm").order_by("-id").first()
        account = Account.objects.create(name=f"Firm {number}", owner=owner, team=team["team"],
                                         parent=parent, website=f"https://firm{number}.example")
        account.tags.set(team["tags"][: 1 + number % 3])
        account.classes.set(team["classes"][: number % 2 + 1])
        contact = Contact.objects.create(
            first_name=f"Person {number}", last_name="张" if number % 2 else "Smith",
            account=account, owner=owner, team=team["team"],
            email=f"person{number}@firm{number}.example", phone=f"+86 138 0000 {number:04d}")
        contact.tags.set(team["tags"][: 1 + number % 3])
        contact.classes.set(team["classes"][: number % 2 + 1])


def queries(client, path: str) -> int:
    client.get(path)  # sessions, caches and lookups warmed the same way for both sizes
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def rows_shown(client, path: str) -> int:
    response = client.get(path)
    if path.startswith("/api/"):
        return len(response.json()["results"])
    return len(response.context["page_obj"].object_list)


@pytest.mark.parametrize("email", ["admin@acme.example", "rep@acme.example"])
def test_list_queries_do_not_grow_with_the_rows_shown(in_acme, team, email):
    client = signed_in(in_acme.host, email)
    add_records(team, 5, start=0)
    few = {path: queries(client, path) for path in LISTS}
    assert all(rows_shown(client, path) >= 2 for path in LISTS)
    add_records(team, 35, start=5)
    assert rows_shown(client, "/app/customers/contacts/") == 40
    assert rows_shown(client, "/api/v1/accounts/") == 40
    many = {path: queries(client, path) for path in LISTS}
    assert many == few


@pytest.mark.parametrize("path", ["/app/customers/contacts/?per_page={size}",
                                  "/app/customers/accounts/?per_page={size}"])
def test_list_page_queries_do_not_grow_with_the_page_size(in_acme, team, path):
    add_records(team, 40, start=0)
    client = signed_in(in_acme.host, in_acme.rep_email)
    counts = {size: queries(client, path.format(size=size)) for size in (10, 25, 100)}
    assert rows_shown(client, path.format(size=10)) == 10
    assert len(set(counts.values())) == 1, counts


def test_deep_pages_cost_the_same_queries_and_keep_the_order(in_acme, team):
    add_records(team, 40, start=0)
    client = signed_in(in_acme.host, in_acme.rep_email)
    first = queries(client, "/app/customers/contacts/?per_page=10&sort=name")
    last = queries(client, "/app/customers/contacts/?per_page=10&sort=name&page=4")
    assert first == last
    seen = []
    for page in range(1, 5):
        response = client.get("/app/customers/contacts/",
                              {"per_page": 10, "sort": "name", "page": page})
        seen += [contact.pk for contact in response.context["page_obj"].object_list]
    expected = list(Contact.objects.order_by("last_name", "-id").values_list("pk", flat=True))
    assert seen == expected
