"""The activity pages: forms per kind, list and filters, the record timeline, "My day", the
calendar, task reminders from the form, and who may see what."""

import datetime
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.activities import tasks, timeline
from crm_apps.activities.models import Activity
from crm_apps.activities.zones import day_start, local_today
from crm_apps.customers.models import Account, Contact, Team
from realtime.models import Notification
from tests.fixtures.world import PASSWORD, host_client, signed_in

APP = "/app/activities/"
CONTACTS = "/app/customers/contacts/"
ACCOUNTS = "/app/customers/accounts/"


@pytest.fixture
def org(in_acme):
    """rep (team North, with a manager) and rep2 (team South), each with an account and a
    contact."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-activity-pages", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    manager = create_user(email="boss@acme.example", password=PASSWORD, role=MANAGER,
                          first_name="Bo", last_name="Boss")
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    mine = Account.objects.create(name="北京科技有限公司", owner=rep, team=north)
    theirs = Account.objects.create(name="Southern Steel", owner=rep2, team=south)
    zhang = Contact.objects.create(first_name="伟", last_name="张", account=mine, owner=rep,
                                   email="zhang@bjtech.example")
    sam = Contact.objects.create(first_name="Sam", last_name="South", account=theirs,
                                 owner=rep2, email="sam@steel.example")
    return {"rep": rep, "rep2": rep2, "manager": manager, "mine": mine, "theirs": theirs,
            "zhang": zhang, "sam": sam}


def text(response, status=200):
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def local(value: datetime.datetime) -> str:
    """A moment as a datetime-local input sends it, in the active zone."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_a_call_logged_from_a_contact_returns_there_and_shows_on_both_timelines(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    zhang, mine = org["zhang"], org["mine"]
    back = f"{CONTACTS}{zhang.pk}/"
    contact_page = text(client.get(back))
    form_link = f'{APP}new/call/?contact={zhang.pk}&amp;next={back}"'
    assert form_link in contact_page
    page = text(client.get(f"{APP}new/call/", {"contact": zhang.pk, "next": back}))
    # Prefilled with the contact and its account.
    assert f'<option value="{zhang.pk}" selected>' in page
    assert f'<option value="{mine.pk}" selected>' in page
    response = client.post(f"{APP}new/call/?contact={zhang.pk}", {
        "subject": "与张伟通话", "direction": "outbound", "duration_minutes": "12",
        "outcome": "Wants a quote", "account": mine.pk, "contact": zhang.pk,
        "body": "Asked about pricing.", "next": back})
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == back
    call = Activity.objects.get(subject="与张伟通话")
    assert (call.kind, call.owner, call.duration_seconds, call.direction) == (
        "call", org["rep"], 720, "outbound")
    detail_link = f'href="{APP}{call.pk}/"'
    assert detail_link in text(client.get(back))
    account_page = text(client.get(f"{ACCOUNTS}{mine.pk}/"))
    assert detail_link in account_page  # the account's timeline holds its contacts' items
    assert "12 min" in account_page
    detail = text(client.get(f"{APP}{call.pk}/"))
    assert "Wants a quote" in detail
    assert "12 minutes" in detail
    edit = text(client.get(f"{APP}{call.pk}/edit/"))
    assert 'value="12"' in edit  # minutes again, not seconds


def test_each_kind_is_created_through_its_form(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    mine, zhang = org["mine"], org["zhang"]
    soon = timezone.now() + timedelta(days=2)
    forms = {
        "task": {"subject": "Send the quote", "due": local(soon), "priority": "high",
                 "assignee": org["manager"].pk, "account": mine.pk},
        "meeting": {"subject": "Kick-off", "start": local(soon),
                    "end": local(soon + timedelta(hours=1)), "place": "北京",
                    "attendees": [org["manager"].pk], "contact_attendees": [zhang.pk],
                    "account": mine.pk},
        "note": {"subject": "Budget approved", "body": "For Q3.", "contact": zhang.pk},
        "email": {"subject": "Re: pricing", "direction": "inbound",
                  "email_from": "zhang@bjtech.example",
                  "email_to": "rep@acme.example; boss@acme.example",
                  "sent_at": local(timezone.now() - timedelta(hours=1)),
                  "contact": zhang.pk},
    }
    for kind, data in forms.items():
        response = client.post(f"{APP}new/{kind}/", data)
        assert response.status_code == 302, (kind, response.content[:1500])
        activity = Activity.objects.get(subject=data["subject"])
        assert response["Location"] == f"{APP}{activity.pk}/"
        assert activity.kind == kind
        assert activity.owner == org["rep"]
    meeting = Activity.objects.get(kind="meeting")
    assert list(meeting.attendees.all()) == [org["manager"]]
    assert list(meeting.contact_attendees.all()) == [zhang]
    assert meeting.end - meeting.start == timedelta(hours=1)
    task = Activity.objects.get(kind="task")
    assert (task.assignee, task.priority) == (org["manager"], "high")
    email = Activity.objects.get(kind="email")
    assert email.email_to == ["rep@acme.example", "boss@acme.example"]
    assert email.direction == "inbound"


@pytest.mark.parametrize(("kind", "data", "field", "message"), [
    ("meeting", {"subject": "M", "start": "2030-01-02T10:00", "end": "2030-01-02T09:00"},
     "end", "The meeting must end after it starts."),
    ("meeting", {"subject": "M", "start": "2030-01-02T10:00", "end": "2030-01-02T10:00"},
     "end", "The meeting must end after it starts."),
    ("meeting", {"subject": "M", "start": "next tuesday", "end": "2030-01-02T10:00"},
     "start", "Enter a date and time"),
    ("task", {"subject": "T"}, "due", "Give the task a due date."),
    ("task", {"subject": "T", "due": "2030-01-02T10:00", "reminder_at": "2030-01-03T10:00"},
     "reminder_at", "Set the reminder before the task is due."),
    ("call", {"subject": "C", "direction": "outbound", "duration_minutes": "-5"},
     "duration_minutes", "Enter a number of minutes, 0 or more."),
    ("call", {"subject": "C", "direction": "outbound", "duration_minutes": "ten"},
     "duration_minutes", "Enter a whole number of minutes."),
    ("call", {"subject": "C", "direction": "sideways"}, "direction", "Select a valid choice"),
    ("note", {"subject": ""}, "subject", "Give it a subject."),
    ("email", {"subject": "E", "direction": "inbound", "email_from": "not-an-address",
               "email_to": "a@b.example, nonsense", "sent_at": "2026-01-02T10:00"},
     "email_to", "Not an e-mail address: nonsense"),
])
def test_invalid_forms_answer_400_with_the_field_error(in_acme, org, kind, data, field,
                                                       message):
    client = signed_in(in_acme.host, "rep@acme.example")
    payload = {"account": org["mine"].pk, "assignee": org["rep"].pk, "priority": "normal",
               **data}
    response = client.post(f"{APP}new/{kind}/", payload)
    page = text(response, 400)
    assert message in page
    assert f'id="id_{field}"' in page
    assert "is-invalid" in page
    assert not Activity.everything.exists()


def test_links_and_people_are_limited_to_what_the_user_may_choose(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    customer = get_user_model().objects.get(email="customer@acme.example")
    cases = [
        ("note", {"subject": "N", "account": org["theirs"].pk}, "account"),
        ("note", {"subject": "N", "contact": org["sam"].pk}, "contact"),
        ("note", {"subject": "N", "account": org["mine"].pk, "contact": org["sam"].pk},
         "contact"),
        ("task", {"subject": "T", "due": "2030-01-02T10:00", "priority": "normal",
                  "assignee": customer.pk}, "assignee"),
        ("meeting", {"subject": "M", "start": "2030-01-02T10:00", "end": "2030-01-02T11:00",
                     "account": org["mine"].pk, "contact_attendees": [org["sam"].pk]},
         "contact_attendees"),
    ]
    for kind, data, field in cases:
        page = text(client.post(f"{APP}new/{kind}/", data), 400)
        assert f'id="id_{field}"' in page, (kind, field)
        assert "is-invalid" in page, (kind, field)
    # A record out of sight is neither offered nor prefilled.
    page = text(client.get(f"{APP}new/note/", {"account": org["theirs"].pk}))
    assert "Southern Steel" not in page
    # A note must be about something; a task for oneself need not be.
    page = text(client.post(f"{APP}new/note/", {"subject": "Floating"}), 400)
    assert "Link it to an account, a contact or a lead." in page
    response = client.post(f"{APP}new/task/", {"subject": "Plan my week", "priority": "low",
                                               "due": "2030-01-02T10:00",
                                               "assignee": org["rep"].pk})
    assert response.status_code == 302
    assert not Activity.everything.exclude(subject="Plan my week").exists()


def test_a_rep_can_neither_see_nor_change_another_teams_activity(in_acme, org):
    theirs = Activity.objects.create(kind="task", subject="South's task",
                                     account=org["theirs"], owner=org["rep2"],
                                     due=timezone.now())
    client = signed_in(in_acme.host, "rep@acme.example")
    base = f"{APP}{theirs.pk}/"
    for path in (base, f"{base}edit/", f"{base}delete/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{base}edit/", {"subject": "Mine now"}).status_code == 404
    assert client.post(f"{base}delete/").status_code == 404
    assert client.post(f"{base}done/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.subject, theirs.deleted_at, theirs.done_at) == ("South's task", None, None)
    assert "South&#x27;s task" not in text(client.get(APP))
    assert text(signed_in(in_acme.host, "admin@acme.example").get(base))


def test_another_tenant_sees_none_of_it(in_acme, org, globex):
    note = Activity.objects.create(kind="note", subject="Acme secret", account=org["mine"],
                                   owner=org["rep"])
    path = f"{APP}{note.pk}/"
    assert text(signed_in(in_acme.host, "admin@acme.example").get(path))
    with tenant_context(globex.tenant):
        globex_admin = signed_in(globex.host, globex.admin_email)
        assert globex_admin.get(path).status_code == 404
        assert "Acme secret" not in text(globex_admin.get(APP))
    # An acme session means nothing on globex's host.
    acme_client = signed_in(in_acme.host, "admin@acme.example")
    acme_client.defaults["HTTP_HOST"] = globex.host
    response = acme_client.get(path)
    assert response.status_code == 302
    assert "/app/login/" in response["Location"]


def test_portal_customers_and_strangers_are_kept_out(in_acme, org):
    assert host_client(in_acme.host).get(APP).status_code == 302
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.get(f"{APP}today/").status_code == 403


def test_done_reopen_and_delete(in_acme, org):
    task = Activity.objects.create(kind="task", subject="Call back", account=org["mine"],
                                   owner=org["rep"], due=timezone.now())
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post(f"{APP}{task.pk}/done/", {"next": f"{APP}today/"})
    assert response["Location"] == f"{APP}today/"
    task.refresh_from_db()
    assert task.done_at is not None
    client.post(f"{APP}{task.pk}/done/", {"done": "0", "next": "https://evil.example/"})
    task.refresh_from_db()
    assert task.done_at is None
    assert client.get(f"{APP}{task.pk}/done/").status_code == 405
    note = Activity.objects.create(kind="note", subject="N", account=org["mine"],
                                   owner=org["rep"])
    assert client.post(f"{APP}{note.pk}/done/").status_code == 404  # only tasks
    assert "Delete “Call back”?" in text(client.get(f"{APP}{task.pk}/delete/"))
    response = client.post(f"{APP}{task.pk}/delete/",
                           {"next": f"{ACCOUNTS}{org['mine'].pk}/"})
    assert response["Location"] == f"{ACCOUNTS}{org['mine'].pk}/"
    assert Activity.everything.get(pk=task.pk).deleted_at is not None
    assert client.get(f"{APP}{task.pk}/").status_code == 404


def test_editing_a_task_reminds_again_and_keeps_its_kind(in_acme, org):
    task = Activity.objects.create(kind="task", subject="T", account=org["mine"],
                                   owner=org["rep"], assignee=org["rep"],
                                   due=timezone.now() + timedelta(days=2), priority="normal",
                                   reminder_at=timezone.now(), reminded=True)
    client = signed_in(in_acme.host, "rep@acme.example")
    page = text(client.get(f"{APP}{task.pk}/edit/"))
    assert 'type="datetime-local"' in page
    response = client.post(f"{APP}{task.pk}/edit/", {
        "subject": "T2", "due": local(task.due), "priority": "high",
        "assignee": org["rep"].pk, "reminder_at": local(task.due - timedelta(hours=1)),
        "account": org["mine"].pk})
    assert response.status_code == 302, response.content[:800]
    task.refresh_from_db()
    assert (task.subject, task.kind, task.reminded, task.priority) == (
        "T2", "task", False, "high")


def test_a_task_created_in_the_page_gets_its_reminder(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    now = timezone.now()
    response = client.post(f"{APP}new/task/", {
        "subject": "Chase the contract", "due": local(now + timedelta(hours=2)),
        "priority": "normal", "assignee": org["manager"].pk,
        "reminder_at": local(now - timedelta(minutes=2)), "account": org["mine"].pk})
    assert response.status_code == 302, response.content[:800]
    assert tasks.send_due_reminders() == 1
    sent = Notification.objects.get(kind="activity.reminder")
    assert (sent.recipient, sent.title) == (org["manager"], "Reminder: Chase the contract")


def test_the_list_filters(in_acme, org):
    now = timezone.now()
    rep, mine = org["rep"], org["mine"]
    open_task = Activity.objects.create(kind="task", subject="Open task", account=mine,
                                        owner=org["manager"], assignee=rep,
                                        due=now + timedelta(days=1))
    done_task = Activity.objects.create(kind="task", subject="Done task", account=mine,
                                        owner=rep, due=now - timedelta(days=20), done_at=now)
    others_note = Activity.objects.create(kind="note", subject="Boss note", account=mine,
                                          owner=org["manager"])
    meeting = Activity.objects.create(kind="meeting", subject="Invited", account=mine,
                                      owner=org["manager"], start=now + timedelta(days=40),
                                      end=now + timedelta(days=40, hours=1))
    meeting.attendees.add(rep)
    client = signed_in(in_acme.host, "rep@acme.example")

    def shown(**params):
        page = text(client.get(APP, params))
        return {a.subject for a in (open_task, done_task, others_note, meeting)
                if f'href="{APP}{a.pk}/"' in page}

    assert shown() == {"Open task", "Done task", "Boss note", "Invited"}
    assert shown(kind="note") == {"Boss note"}
    assert shown(mine="true") == {"Open task", "Done task", "Invited"}
    assert shown(open="true") == {"Open task"}
    assert shown(q="task") == {"Open task", "Done task"}
    today = local_today()
    assert shown(date_from=(today - timedelta(days=30)).isoformat(),
                 date_to=(today - timedelta(days=10)).isoformat()) == {"Done task"}
    assert shown(date_from=(today + timedelta(days=30)).isoformat()) == {"Invited"}
    page = text(client.get(APP, {"date_from": "0001-01-01", "date_to": "9999-12-31"}))
    assert "Open task" in page
    page = text(client.get(APP, {"date_from": "someday", "kind": "visit"}))  # no 500
    assert "Select a valid choice" in page or "Enter a valid date" in page


@pytest.fixture
def orders_source():
    """Another app's items, as tickets, orders, invoices and quotes add theirs later."""
    def orders(*, account=None, contact=None, user, before=None, limit=None):
        if account is None:
            return []
        return [{"kind": "order", "id": 7, "title": "Order #7", "when": timezone.now(),
                 "summary": "¥1,000", "link": "/app/orders/7/"}]

    timeline.register_source("orders", orders)
    yield
    timeline.unregister_source("orders")


def test_the_timeline_panel_renders_other_sources_and_loads_more(in_acme, org, orders_source):
    mine, rep = org["mine"], org["rep"]
    start = timezone.now() - timedelta(days=1)
    notes = [Activity.objects.create(kind="note", subject=f"Note {n:02}", account=mine,
                                     owner=rep, created=start + timedelta(minutes=n))
             for n in range(25)]
    client = signed_in(in_acme.host, "rep@acme.example")
    page = text(client.get(f"{ACCOUNTS}{mine.pk}/"))
    assert 'href="/app/orders/7/"' in page
    assert "bi-bag" in page  # the order's icon
    assert page.index("Order #7") < page.index("Note 24") < page.index("Note 06")
    assert "Note 05" not in page  # past the first page
    assert "Load more" in page
    more = page.split('id="timeline-more"')[1].split('href="')[1].split('"')[0]
    more = more.replace("&amp;", "&")
    rest = text(client.get(more))
    assert "Note 05" in rest
    assert "Note 00" in rest
    assert "Note 06" not in rest
    fragment = text(client.get(more, HTTP_HX_REQUEST="true"))
    assert "<html" not in fragment
    assert f'href="{APP}{notes[0].pk}/"' in fragment
    assert client.get(f"{APP}timeline/", {"account": mine.pk, "cursor": "junk"}
                      ).status_code == 404
    assert client.get(f"{APP}timeline/", {"account": org["theirs"].pk}).status_code == 404


@pytest.fixture
def acme_in_shanghai(in_acme):
    """acme counts its days in Shanghai (inside the test's transaction)."""
    in_acme.tenant.time_zone = "Asia/Shanghai"
    in_acme.tenant.save()


def test_my_day_counts_days_in_the_tenant_zone(in_acme, org, acme_in_shanghai):
    rep, mine = org["rep"], org["mine"]
    today = local_today()
    midnight = day_start(today)  # 16:00 UTC the day before
    tomorrow = day_start(today + timedelta(days=1))

    def task(subject, due, owner=rep, **fields):
        return Activity.objects.create(kind="task", subject=subject, account=mine,
                                       owner=owner, due=due, **fields)

    task("Overdue by a minute", midnight - timedelta(minutes=1))
    task("Done long ago", midnight - timedelta(days=3), done_at=timezone.now())
    task("First thing", midnight)
    task("Last thing", tomorrow - timedelta(minutes=1))
    task("Tomorrow", tomorrow)
    task("Given to the boss", midnight + timedelta(hours=9), assignee=org["manager"])
    task("From the boss", midnight + timedelta(hours=10), owner=org["manager"], assignee=rep)

    def meeting(subject, start, hours=1, owner=rep):
        return Activity.objects.create(kind="meeting", subject=subject, account=mine,
                                       owner=owner, start=start,
                                       end=start + timedelta(hours=hours))

    meeting("Breakfast", midnight + timedelta(hours=8))
    meeting("Late yesterday", midnight - timedelta(hours=2), hours=1)
    meeting("Overnight", midnight - timedelta(hours=1), hours=3)
    meeting("Tomorrow's", tomorrow)
    meeting("Boss invites", midnight + timedelta(hours=14), owner=org["manager"]) \
        .attendees.add(rep)
    meeting("Boss alone", midnight + timedelta(hours=15), owner=org["manager"])
    page = text(signed_in(in_acme.host, "rep@acme.example").get(f"{APP}today/"))
    overdue, rest = page.split('id="tasks-heading"')
    tasks_part, meetings_part = rest.split('id="meetings-heading"')
    assert "Overdue by a minute" in overdue
    for subject in ("First thing", "Last thing", "From the boss"):
        assert subject in tasks_part, subject
    for subject in ("Done long ago", "Tomorrow", "Given to the boss"):
        assert subject not in page, subject
    for subject in ("Breakfast", "Overnight", "Boss invites"):
        assert subject in meetings_part, subject
    for subject in ("Late yesterday", "Tomorrow&#x27;s", "Boss alone"):
        assert subject not in page, subject
    assert "08:00" in meetings_part  # shown in Shanghai time
    assert 'action="/app/activities/' in tasks_part  # one-click done


def test_calendar_week_and_month(in_acme, org):
    rep, mine = org["rep"], org["mine"]
    zone = timezone.get_current_timezone()
    at = datetime.datetime(2030, 1, 16, 9, 30, tzinfo=zone)  # a Wednesday

    Activity.objects.create(kind="meeting", subject="Quarterly review", account=mine,
                            owner=rep, start=at, end=at + timedelta(hours=1))
    Activity.objects.create(kind="task", subject="Send minutes", account=mine, owner=rep,
                            due=at + timedelta(days=1))
    Activity.objects.create(kind="task", subject="Later in January", account=mine, owner=rep,
                            due=at + timedelta(days=12))
    Activity.objects.create(kind="meeting", subject="Not mine", account=mine,
                            owner=org["manager"], start=at, end=at + timedelta(hours=1))
    client = signed_in(in_acme.host, "rep@acme.example")
    week = text(client.get(f"{APP}calendar/", {"view": "week", "date": "2030-01-17"}))
    assert "Quarterly review" in week
    assert "Send minutes" in week
    assert "Later in January" not in week
    assert "Not mine" not in week
    assert "09:30" in week
    assert "date=2030-01-07" in week
    assert "date=2030-01-21" in week  # previous / next week
    month = text(client.get(f"{APP}calendar/", {"view": "month", "date": "2030-01-17"}))
    assert "Later in January" in month
    assert "Quarterly review" in month
    assert "date=2029-12-01" in month
    assert "date=2030-02-01" in month
    assert "Not mine" not in month
    february = text(client.get(f"{APP}calendar/", {"view": "month", "date": "2030-02-10"}))
    assert "Quarterly review" not in february
    # Anything unreadable, or at the ends of the calendar, falls back to this week.
    for date in ("2030-13-45", "9999-12-31", "0001-01-01"):
        for view in ("year", "week", "month"):
            page = text(client.get(f"{APP}calendar/", {"view": view, "date": date}))
            assert 'aria-current="date"' in page
