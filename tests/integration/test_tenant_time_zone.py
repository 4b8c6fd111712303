"""Each tenant's own time zone: pages, "My day", the calendar, form inputs, the API, the feed
and reminders follow it; tenant admins change it on the general settings page, the operator
sets it when provisioning; one tenant's zone never reaches another tenant's request."""

import datetime
import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from core.models import AuditEntry
from core.zones import tenant_zone, zone_names
from crm_apps.activities import tasks
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account
from realtime.models import Notification
from tenants.models import Tenant
from tenants.provisioning import provision_tenant
from tests.fixtures.world import host_client, signed_in

UTC = datetime.UTC
# 04:00 on 30 November in Shanghai, still the 29th in UTC.
NOW = datetime.datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
DUE = datetime.datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
LATE_MEETING = datetime.datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # 07:30 on the 30th there
MY_DAY = "/app/activities/today/"
CALENDAR = "/app/activities/calendar/"
GENERAL = "/app/settings/general/"


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def shanghai(in_acme):
    """acme works in Shanghai (inside the test's transaction); globex stays on UTC."""
    in_acme.tenant.time_zone = "Asia/Shanghai"
    in_acme.tenant.save()
    return in_acme


def rep_of(slug: str):
    return get_user_model().objects.get(email=f"rep@{slug}.example")


def plan_a_day(slug: str) -> dict:
    """In the current tenant: the rep's task due at DUE and meeting at LATE_MEETING."""
    rep = rep_of(slug)
    account = Account.objects.create(name=f"{slug} account", owner=rep)
    task = Activity.objects.create(kind="task", subject=f"{slug} call", account=account,
                                   owner=rep, due=DUE)
    meeting = Activity.objects.create(kind="meeting", subject=f"{slug} meeting",
                                      account=account, owner=rep, start=LATE_MEETING,
                                      end=LATE_MEETING + datetime.timedelta(hours=1))
    return {"rep": rep, "account": account, "task": task, "meeting": meeting}


@pytest.fixture
def both(shanghai, globex, fixed_now):
    acme_day = plan_a_day("acme")
    with tenant_context(globex.tenant):
        globex_day = plan_a_day("globex")
    return {"acme": acme_day, "globex": globex_day}


def page(response, status=200) -> str:
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def todays_tasks(html: str) -> str:
    return html.split('id="tasks-heading"')[1].split('id="meetings-heading"')[0]


def week_cell(html: str, day_label: str) -> str:
    """The week grid's cell of one day ("November 30"), or "" if the week lacks it."""
    table = html.split("<table", 1)[1].split("</table>", 1)[0]
    for cell in table.split("<td")[1:]:
        if re.search(rf">\s*{day_label}\s*</div>", cell):
            return cell
    return ""


def test_my_day_and_the_calendar_count_days_in_each_tenants_zone(shanghai, globex, both):
    acme_client = signed_in(shanghai.host, "rep@acme.example")
    globex_client = signed_in(globex.host, "rep@globex.example")
    # Requests of both tenants interleaved on one thread: each sees only its own zone.
    for _round in range(2):
        acme_page = page(acme_client.get(MY_DAY))
        assert "Monday, Nov. 30, 2026" in acme_page  # Shanghai's date
        assert "acme call" in todays_tasks(acme_page)
        assert "09:00" in todays_tasks(acme_page)
        assert "acme meeting" in acme_page
        assert "07:30" in acme_page
        assert timezone.get_current_timezone_name() == settings.TIME_ZONE  # nothing leaks

        globex_page = page(globex_client.get(MY_DAY))
        assert "Sunday, Nov. 29, 2026" in globex_page  # still the 29th in UTC
        assert "globex call" not in globex_page  # due tomorrow there
        assert "globex meeting" in globex_page
        assert "23:30" in globex_page
        assert "09:00" not in globex_page
        assert timezone.get_current_timezone_name() == settings.TIME_ZONE

    acme_week = page(acme_client.get(CALENDAR, {"view": "week", "date": "2026-11-30"}))
    assert "acme meeting" in week_cell(acme_week, "November 30")
    assert "Asia/Shanghai" in acme_week
    earlier = page(acme_client.get(CALENDAR, {"view": "week", "date": "2026-11-29"}))
    assert "acme meeting" not in earlier
    globex_week = page(globex_client.get(CALENDAR, {"view": "week", "date": "2026-11-29"}))
    assert "globex meeting" in week_cell(globex_week, "November 29")
    assert "globex meeting" not in page(
        globex_client.get(CALENDAR, {"view": "week", "date": "2026-11-30"}))


def test_form_times_are_read_and_shown_in_the_tenants_zone(shanghai, globex, fixed_now):
    acme_account = Account.objects.create(name="Acme account", owner=rep_of("acme"))
    key = Token.objects.get_or_create(user=rep_of("acme"))[0].key
    with tenant_context(globex.tenant):
        globex_account = Account.objects.create(name="Globex account", owner=rep_of("globex"))
    acme_client = signed_in(shanghai.host, "rep@acme.example")
    globex_client = signed_in(globex.host, "rep@globex.example")
    for client, account in ((acme_client, acme_account), (globex_client, globex_account)):
        response = client.post("/app/activities/new/task/", {
            "subject": "Typed at nine", "due": "2026-11-30T09:00", "priority": "normal",
            "assignee": account.owner_id, "account": account.pk})
        assert response.status_code == 302, response.content[:800]
    with tenant_context(shanghai.tenant):
        task = Activity.objects.get(subject="Typed at nine")
    assert task.due == DUE  # 09:00 in Shanghai is 01:00 UTC
    edit = page(acme_client.get(f"/app/activities/{task.pk}/edit/"))
    assert 'value="2026-11-30T09:00"' in edit
    with tenant_context(globex.tenant):
        assert Activity.objects.get(subject="Typed at nine").due == datetime.datetime(
            2026, 11, 30, 9, 0, tzinfo=UTC)

    # The API writes the tenant's offset and reads a time without one in the tenant's zone.
    api = host_client(shanghai.host)
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    body = api.get(f"/api/v1/activities/{task.pk}/").json()
    due = datetime.datetime.fromisoformat(body["due"])
    assert due == DUE
    assert due.utcoffset() == datetime.timedelta(hours=8)


def test_the_calendar_feed_is_in_the_tenants_zone(shanghai, globex, both):
    def feed_of(host, email):
        client = signed_in(host, email)
        made = page(client.post("/app/activities/calendar/feed/", {"action": "create"}))
        url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', made).group(1)
        assert "Asia/Shanghai" in made if host == shanghai.host else "UTC" in made
        return host_client(host).get(url.split(host, 1)[1]).content.decode()

    acme_feed = feed_of(shanghai.host, "rep@acme.example")
    assert "DTSTART;TZID=Asia/Shanghai:20261130T090000" in acme_feed
    assert "DTSTART;TZID=Asia/Shanghai:20261130T073000" in acme_feed
    assert "X-WR-TIMEZONE:Asia/Shanghai" in acme_feed
    globex_feed = feed_of(globex.host, "rep@globex.example")
    assert "Asia/Shanghai" not in globex_feed
    assert "X-WR-TIMEZONE:UTC" in globex_feed


def test_reminders_say_when_the_task_is_due_in_the_tenants_zone(shanghai, fixed_now):
    rep = rep_of("acme")
    account = Account.objects.create(name="Acme account", owner=rep)
    Activity.objects.create(kind="task", subject="Call back", body="About the quote.",
                            account=account, owner=rep, due=DUE,
                            reminder_at=NOW - datetime.timedelta(minutes=1))
    assert tasks.send_due_reminders() == 1
    reminder = Notification.objects.get(kind="activity.reminder")
    assert reminder.body.startswith("Due Nov. 30, 2026, 9 a.m. (Asia/Shanghai)")
    assert reminder.body.endswith("About the quote.")
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE  # restored after


def test_a_tenant_admin_changes_the_zone_on_the_general_page(in_acme, globex, fixed_now):
    admin = signed_in(in_acme.host, "admin@acme.example")
    form = page(admin.get(GENERAL))
    select = form.split('name="time_zone"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([^"]+)"', select)
    assert options[:4] == ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore"]
    assert {"Europe/London", "America/New_York", "Africa/Nairobi"} <= set(options)
    assert '<option value="UTC" selected>' in select
    assert 'href="/app/settings/general/">General</a>' in form
    assert 'label class="form-label" for="id_time_zone"' in form

    response = admin.post(GENERAL, {"time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    assert response["Location"] == GENERAL
    assert Tenant.objects.get(pk=in_acme.tenant.pk).time_zone == "Asia/Shanghai"
    assert "Asia/Shanghai" in page(admin.get(GENERAL))
    assert "Nov. 30, 2026" in page(admin.get(MY_DAY))  # at once, on the next request
    entry = AuditEntry.objects.get(record_type="tenants.tenant")
    assert (entry.actor.email, entry.action, entry.changes) == (
        "admin@acme.example", "updated", {"time_zone": ["UTC", "Asia/Shanghai"]})
    trail = page(admin.get("/app/settings/audit/"))
    assert "Asia/Shanghai" in trail
    with tenant_context(globex.tenant):
        assert Tenant.objects.get(pk=globex.tenant.pk).time_zone == settings.TIME_ZONE
        assert not AuditEntry.objects.filter(record_type="tenants.tenant").exists()
    assert "Nov. 29, 2026" in page(signed_in(globex.host, "admin@globex.example").get(MY_DAY))


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "", "localtime", "asia/shanghai",
                                   "Asia/Shanghai\x00"])
def test_an_invalid_zone_is_a_form_error(in_acme, value):
    admin = signed_in(in_acme.host, "admin@acme.example")
    html = page(admin.post(GENERAL, {"time_zone": value}), status=400)
    assert "invalid-feedback" in html
    assert "Choose a time zone" in html
    assert Tenant.objects.get(pk=in_acme.tenant.pk).time_zone == settings.TIME_ZONE
    assert not AuditEntry.objects.filter(record_type="tenants.tenant").exists()


def test_only_tenant_admins_reach_the_general_page(in_acme):
    for email in ("rep@acme.example",):
        client = signed_in(in_acme.host, email)
        assert client.get(GENERAL).status_code == 403
        assert client.post(GENERAL, {"time_zone": "Asia/Shanghai"}).status_code == 403
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.get(GENERAL).status_code in (302, 403)
    assert customer.post(GENERAL, {"time_zone": "Asia/Shanghai"}).status_code in (302, 403)
    anonymous = host_client(in_acme.host).get(GENERAL)
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    assert Tenant.objects.get(pk=in_acme.tenant.pk).time_zone == settings.TIME_ZONE


def test_the_zone_of_a_schema_context_is_read_from_the_tenant_row(shanghai):
    from django_tenants.utils import schema_context

    with schema_context(shanghai.tenant.schema_name):
        assert tenant_zone().key == "Asia/Shanghai"
    assert tenant_zone().key == "Asia/Shanghai"
    with schema_context("public"):
        assert tenant_zone().key == settings.TIME_ZONE
    assert "localtime" not in zone_names()
    assert "Asia/Shanghai" in zone_names()


# -- The operator sets the zone when provisioning -------------------------------------------

@pytest.fixture
def operator_api(db):
    operator = get_user_model().objects.get(email="operator@example.com")
    client = host_client("localhost")
    key = Token.objects.get_or_create(user=operator)[0].key
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def test_the_operator_api_provisions_with_and_without_a_zone(operator_api):
    created = operator_api.post("/api/operator/v1/tenants/", {
        "slug": "taipeico", "name": "Taipei Co", "owner_email": "boss@taipei.example",
        "time_zone": "Asia/Taipei"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["time_zone"] == "Asia/Taipei"
    assert Tenant.objects.get(slug="taipeico").time_zone == "Asia/Taipei"
    plain = operator_api.post("/api/operator/v1/tenants/", {
        "slug": "plainco", "name": "Plain Co", "owner_email": "boss@plain.example"},
        content_type="application/json")
    assert plain.status_code == 201, plain.content
    assert plain.json()["time_zone"] == settings.TIME_ZONE
    listed = {row["slug"]: row["time_zone"]
              for row in operator_api.get("/api/operator/v1/tenants/").json()["results"]}
    assert listed["taipeico"] == "Asia/Taipei"
    for bad in ("Mars/Olympus_Mons", "", 7):
        response = operator_api.post("/api/operator/v1/tenants/", {
            "slug": "badzone", "name": "Bad", "owner_email": "x@bad.example",
            "time_zone": bad}, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "time_zone" in response.json()
    assert not Tenant.objects.filter(slug="badzone").exists()


def test_the_operator_console_provisions_with_and_without_a_zone(db):
    console = host_client("localhost", email="operator@example.com",
                          login_path="/operator/login/")
    listing = page(console.get("/operator/"))
    assert '<select name="time_zone"' in listing
    assert '<option value="Asia/Hong_Kong">' in listing
    response = console.post("/operator/tenants/new/", {
        "name": "HK Co", "slug": "hkco", "owner_email": "boss@hk.example", "plan": "",
        "time_zone": "Asia/Hong_Kong"})
    assert response.status_code == 302, response.content[:500]
    assert Tenant.objects.get(slug="hkco").time_zone == "Asia/Hong_Kong"
    assert console.post("/operator/tenants/new/", {
        "name": "Plain", "slug": "plainco", "owner_email": "boss@plain.example",
        "plan": ""}).status_code == 302
    assert Tenant.objects.get(slug="plainco").time_zone == settings.TIME_ZONE
    bad = console.post("/operator/tenants/new/", {
        "name": "Bad", "slug": "badzone", "owner_email": "x@bad.example",
        "time_zone": "Mars/Olympus_Mons"})
    assert bad.status_code == 400
    assert "Choose a time zone from the list." in bad.content.decode()
    assert not Tenant.objects.filter(slug="badzone").exists()


@pytest.mark.django_db
def test_provisioning_and_the_command_take_a_zone():
    with pytest.raises(ValidationError) as error:
        provision_tenant(slug="badzone", name="Bad", owner_email="x@bad.example",
                         time_zone="Nowhere/Land", refill=False)
    assert "time_zone" in error.value.message_dict
    out = StringIO()
    call_command("create_tenant", slug="sgco", name="SG Co", owner_email="boss@sg.example",
                 time_zone="Asia/Singapore", stdout=out)
    assert "Time zone: Asia/Singapore" in out.getvalue()
    assert Tenant.objects.get(slug="sgco").time_zone == "Asia/Singapore"
    with pytest.raises(CommandError, match="time zone"):
        call_command("create_tenant", slug="badzone", name="Bad", owner_email="x@bad.example",
                     time_zone="Nowhere/Land")
