"""The private iCalendar feed: made on its page and shown once, read without a login, parsed
by calendar software with correct times, revoked or replaced, and never across users or
tenants."""

import datetime
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context
from icalendar import Calendar

from core.accounts import create_user
from core.roles import MANAGER
from crm_apps.activities.models import Activity, CalendarFeed
from crm_apps.customers.models import Account, Contact
from tests.fixtures.world import PASSWORD, host_client, signed_in

FEED_PAGE = "/app/activities/calendar/feed/"
SHANGHAI = datetime.timezone(timedelta(hours=8))


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-feed", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    boss = create_user(email="boss@acme.example", password=PASSWORD, role=MANAGER,
                       first_name="Bo", last_name="Boss")
    account = Account.objects.create(name="北京科技有限公司", owner=rep)
    zhang = Contact.objects.create(first_name="伟", last_name="张", account=account, owner=rep,
                                   email="zhang@bjtech.example")
    return {"rep": rep, "boss": boss, "account": account, "zhang": zhang}


def make_feed(client) -> str:
    """Make the signed-in user's address on the page; the path of the feed."""
    response = client.post(FEED_PAGE, {"action": "create"})
    assert response.status_code == 200
    page = response.content.decode()
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page).group(1)
    assert url.startswith("http://acme.localhost/calendar/")
    assert "webcal://acme.localhost/calendar/" in page
    return url.removeprefix("http://acme.localhost")


def events(response) -> dict[str, object]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def acme_in_shanghai(in_acme):
    """acme counts its days in Shanghai (inside the test's transaction)."""
    in_acme.tenant.time_zone = "Asia/Shanghai"
    in_acme.tenant.save()


def test_the_feed_carries_meetings_and_tasks_in_the_tenant_zone(in_acme, org, acme_in_shanghai):
    rep, boss, account, zhang = org["rep"], org["boss"], org["account"], org["zhang"]
    nine = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)
    meeting = Activity.objects.create(
        kind="meeting", subject="签约会议", account=account, owner=rep, start=nine,
        end=nine + timedelta(hours=1, minutes=30), place="北京 国贸", body="Bring the contract.")
    meeting.attendees.add(boss)
    meeting.contact_attendees.add(zhang)
    invited = Activity.objects.create(kind="meeting", subject="Boss's review", account=account,
                                      owner=boss, start=nine + timedelta(days=1),
                                      end=nine + timedelta(days=1, hours=1))
    invited.attendees.add(rep)
    Activity.objects.create(kind="task", subject="Send the contract", account=account,
                            owner=rep, due=nine + timedelta(hours=5))
    Activity.objects.create(kind="meeting", subject="Boss alone", account=account,
                            owner=boss, start=nine, end=nine + timedelta(hours=1))
    Activity.objects.create(kind="task", subject="Boss's task", account=account, owner=rep,
                            assignee=boss, due=nine)
    Activity.objects.create(kind="meeting", subject="Long ago", account=account, owner=rep,
                            start=timezone.now() - timedelta(days=400),
                            end=timezone.now() - timedelta(days=400, hours=-1))
    client = signed_in(in_acme.host, "rep@acme.example")
    path = make_feed(client)
    response = host_client(in_acme.host).get(path)  # no login: the address is the key
    found = events(response)
    assert set(found) == {"签约会议", "Boss's review", "Task: Send the contract"}
    event = found["签约会议"]
    start, end = event["dtstart"], event["dtend"]
    assert start.params["TZID"] == "Asia/Shanghai"
    assert start.dt.astimezone(datetime.UTC) == datetime.datetime(2030, 3, 4, 1, 0,
                                                                   tzinfo=datetime.UTC)
    assert end.dt - start.dt == timedelta(hours=1, minutes=30)
    assert str(event["location"]) == "北京 国贸"
    assert "Bring the contract." in str(event["description"])
    attendees = sorted(str(person) for person in event["attendee"])
    assert attendees == ["mailto:boss@acme.example", "mailto:zhang@bjtech.example"]
    assert str(event["organizer"]) == "mailto:rep@acme.example"
    assert str(event["uid"]) == f"activity-{meeting.pk}@acme.localhost"
    assert event["dtstamp"].dt.tzinfo is not None
    assert str(event["url"]).endswith(f"/app/activities/{meeting.pk}/")
    task = found["Task: Send the contract"]
    assert task["dtstart"].dt.astimezone(datetime.UTC).hour == 6
    calendar = Calendar.from_ical(response.content)
    zones = [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == ["Asia/Shanghai"]
    # The same event keeps its UID from one read to the next.
    again = events(host_client(in_acme.host).get(path))
    assert str(again["签约会议"]["uid"]) == str(event["uid"])
    assert CalendarFeed.objects.get(user=rep).last_used is not None


def test_only_a_hash_is_kept_and_the_address_is_shown_once(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    assert "You have no calendar address." in client.get(FEED_PAGE).content.decode()
    path = make_feed(client)
    key = path.removeprefix("/calendar/").removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=org["rep"])
    assert key not in (feed.key_hash, feed.prefix)
    assert feed.prefix == key[:8]
    page = client.get(FEED_PAGE).content.decode()
    assert key not in page
    assert "Replace the address" in page


def test_revoked_replaced_and_unknown_addresses_are_404(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    anonymous = host_client(in_acme.host)
    first = make_feed(client)
    assert anonymous.get(first).status_code == 200
    second = make_feed(client)  # replacing ends the first address
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    assert CalendarFeed.objects.filter(user=org["rep"], revoked__isnull=True).count() == 1
    response = client.post(FEED_PAGE, {"action": "revoke"})
    assert response.status_code == 302
    assert anonymous.get(second).status_code == 404
    assert anonymous.get("/calendar/not-a-real-key.ics").status_code == 404
    assert client.post(FEED_PAGE, {"action": "explode"}).status_code == 400
    # A user who leaves takes their feed with them.
    third = make_feed(client)
    org["rep"].is_active = False
    org["rep"].save()
    assert anonymous.get(third).status_code == 404


def test_a_feed_belongs_to_its_tenant(in_acme, org, globex):
    Activity.objects.create(kind="meeting", subject="Acme meeting", account=org["account"],
                            owner=org["rep"], start=timezone.now() + timedelta(days=1),
                            end=timezone.now() + timedelta(days=1, hours=1))
    path = make_feed(signed_in(in_acme.host, "rep@acme.example"))
    with tenant_context(globex.tenant):
        assert host_client(globex.host).get(path).status_code == 404
        # globex's own rep with a feed sees nothing of acme's.
        globex_rep = signed_in(globex.host, globex.rep_email)
        response = globex_rep.post(FEED_PAGE, {"action": "create"})
        url = re.search(r'readonly value="([^"]+)"', response.content.decode()).group(1)
        own = host_client(globex.host).get(url.removeprefix("http://globex.localhost"))
        assert events(own) == {}
    assert set(events(host_client(in_acme.host).get(path))) == {"Acme meeting"}


def test_the_feed_page_needs_a_signed_in_staff_member(in_acme, org):
    assert host_client(in_acme.host).get(FEED_PAGE).status_code == 302
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.post(FEED_PAGE, {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.exists()
