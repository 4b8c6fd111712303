"""Activities over the API: CRUD, validation, visibility, the timeline, reminders and
isolation between tenants."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import MANAGER, SALES_REP
from crm_apps.activities import tasks, timeline
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact, Team
from realtime.models import Notification
from tests.fixtures.world import admin_token, host_client, post, signed_in


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


@pytest.fixture
def org(in_acme):
    """Two sales teams: rep (team North) and rep2 (team South), each with an account."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    mine = Account.objects.create(name="Rep's own", owner=rep)
    theirs = Account.objects.create(name="South's", owner=rep2, team=south)
    contact = Contact.objects.create(first_name="Ada", last_name="Lovelace", account=mine,
                                     owner=rep)
    return {"rep": rep, "rep2": rep2, "manager": manager, "mine": mine, "theirs": theirs,
            "contact": contact}


def test_a_rep_creates_reads_updates_and_deletes_an_activity(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    created = post(client, "/api/v1/activities/", {
        "kind": "call", "subject": "与张伟通话", "account": org["mine"].pk,
        "contact": org["contact"].pk, "direction": "outbound", "duration_seconds": 300,
        "outcome": "Interested"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"] == org["rep"].pk  # the creator owns it
    path = f"/api/v1/activities/{body['id']}/"
    assert client.get(path).json()["subject"] == "与张伟通话"
    changed = patch(client, path, {"outcome": "Sent a quote"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["outcome"] == "Sent a quote"
    assert [row["id"] for row in client.get("/api/v1/activities/").json()["results"]] == [
        body["id"]]
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert Activity.everything.get(pk=body["id"]).deleted_at is not None  # in the bin
    actions = list(AuditEntry.objects.filter(record_type="activities.activity",
                                             record_id=str(body["id"]))
                   .order_by("id").values_list("action", "actor__email"))
    assert actions == [("created", "rep@acme.example"), ("updated", "rep@acme.example"),
                       ("deleted", "rep@acme.example")]


def test_meetings_and_own_tasks(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    start = timezone.now() + timedelta(days=1)
    meeting = post(client, "/api/v1/activities/", {
        "kind": "meeting", "subject": "Kick-off", "account": org["mine"].pk,
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
        "place": "北京", "attendees": [org["manager"].pk],
        "contact_attendees": [org["contact"].pk]})
    assert meeting.status_code == 201, meeting.content
    assert meeting.json()["attendees"] == [org["manager"].pk]
    task = post(client, "/api/v1/activities/", {"kind": "task", "subject": "Plan the week"})
    assert task.status_code == 201, task.content  # a task of one's own needs no record
    assert task.json()["due"] is None


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "meeting", "subject": "X", "start": "2030-01-02T10:00:00Z",
      "end": "2030-01-02T09:00:00Z"}, "end"),
    ({"kind": "call", "subject": "X", "duration_seconds": -1}, "duration_seconds"),
    ({"kind": "note", "subject": "Floating"}, "non_field_errors"),
    ({"kind": "call", "subject": "Floating"}, "non_field_errors"),
    ({"kind": "note", "subject": "X", "due": "2030-01-02T09:00:00Z"}, "due"),
    ({"kind": "visit", "subject": "X"}, "kind"),
    ({"kind": "note", "subject": ""}, "subject"),
    ({"kind": "task", "subject": "X", "priority": "urgent"}, "priority"),
])
def test_bad_values_are_400_with_field_errors(in_acme, org, payload, field):
    client = signed_in(in_acme.host, "rep@acme.example")
    if field != "non_field_errors":
        payload = {**payload, "account": org["mine"].pk}
    response = post(client, "/api/v1/activities/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_someone_elses_task_must_be_linked_to_a_record(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/activities/", {
        "kind": "task", "subject": "For you", "owner": org["rep2"].pk})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_meeting_cannot_be_moved_to_end_before_it_starts(in_acme, org):
    meeting = Activity.objects.create(kind="meeting", subject="M", account=org["mine"],
                                      owner=org["rep"], start=timezone.now(),
                                      end=timezone.now() + timedelta(hours=1))
    client = signed_in(in_acme.host, "rep@acme.example")
    response = patch(client, f"/api/v1/activities/{meeting.pk}/",
                     {"end": (timezone.now() - timedelta(hours=2)).isoformat()})
    assert response.status_code == 400
    assert "end" in response.json()


def test_a_rep_can_neither_see_nor_change_another_teams_activities(in_acme, org):
    theirs = Activity.objects.create(kind="note", subject="South's note",
                                     account=org["theirs"], owner=org["rep2"])
    mine = Activity.objects.create(kind="note", subject="Mine", account=org["mine"],
                                   owner=org["rep"])
    assigned = Activity.objects.create(kind="task", subject="Help South",
                                       account=org["theirs"], owner=org["rep2"],
                                       assignee=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    path = f"/api/v1/activities/{theirs.pk}/"
    assert client.get(path).status_code == 404
    assert patch(client, path, {"subject": "mine now"}).status_code == 404
    assert client.delete(path).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.subject, theirs.deleted_at) == ("South's note", None)
    listed = {row["id"] for row in client.get("/api/v1/activities/").json()["results"]}
    assert listed == {mine.pk, assigned.pk}  # what they are assigned, too
    # Nor can they attach anything to a record they cannot see.
    response = post(client, "/api/v1/activities/", {"kind": "note", "subject": "X",
                                                      "account": org["theirs"].pk})
    assert response.status_code == 400
    assert "account" in response.json()
    admin = signed_in(in_acme.host, "admin@acme.example")
    assert admin.get(path).status_code == 200


def test_filters(in_acme, org):
    now = timezone.now()
    rep, mine = org["rep"], org["mine"]
    soon = Activity.objects.create(kind="task", subject="Soon", account=mine, owner=rep,
                                   assignee=org["manager"], due=now + timedelta(days=1))
    later = Activity.objects.create(kind="task", subject="Later", account=mine, owner=rep,
                                    due=now + timedelta(days=10))
    done = Activity.objects.create(kind="task", subject="Done", account=mine, owner=rep,
                                   due=now - timedelta(days=1), done_at=now)
    note = Activity.objects.create(kind="note", subject="Note", contact=org["contact"],
                                   owner=rep)
    client = signed_in(in_acme.host, "rep@acme.example")

    def ids(**params):
        response = client.get("/api/v1/activities/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(kind="note") == {note.pk}
    assert ids(contact=org["contact"].pk) == {note.pk}
    assert ids(account=mine.pk) == {soon.pk, later.pk, done.pk}
    assert ids(assignee=org["manager"].pk) == {soon.pk}
    assert ids(owner=rep.pk) == {soon.pk, later.pk, done.pk, note.pk}
    assert ids(due_before=(now + timedelta(days=2)).isoformat()) == {soon.pk, done.pk}
    assert ids(due_after=now.isoformat()) == {soon.pk, later.pk}
    assert ids(open="true") == {soon.pk, later.pk}
    assert ids(open="false") == {done.pk}


@pytest.fixture
def second_source():
    """Another app's items (as orders or tickets will add theirs)."""
    def orders(*, account=None, contact=None, user, before=None, limit=None):
        if account is None:
            return []
        return [{"kind": "order", "id": 7, "title": "Order #7", "when": account.created
                 + timedelta(minutes=30), "summary": "¥1,000", "link": "/app/orders/7/"}]

    timeline.register_source("orders", orders)
    yield
    timeline.unregister_source("orders")


def test_the_timeline_merges_sources_newest_first(in_acme, org, second_source):
    base = org["mine"].created
    rep, mine, contact = org["rep"], org["mine"], org["contact"]

    def at(minutes, **fields):
        activity = Activity.objects.create(owner=rep, **fields)
        Activity.objects.filter(pk=activity.pk).update(
            created=base + timedelta(minutes=minutes))
        return activity

    call = at(10, kind="call", subject="Call", account=mine)
    note = at(20, kind="note", subject="About Ada", contact=contact)
    meeting = at(5, kind="meeting", subject="Meeting", account=mine,
                 start=base + timedelta(minutes=40), end=base + timedelta(minutes=50))
    at(15, kind="note", subject="Elsewhere", account=org["theirs"])
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.get("/api/v1/timeline/", {"account": mine.pk})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(row["kind"], row["id"]) for row in rows] == [
        ("meeting", str(meeting.pk)), ("order", "7"), ("note", str(note.pk)),
        ("call", str(call.pk))]
    assert rows[1] == {"source": "orders", "kind": "order", "id": "7", "title": "Order #7",
                       "when": rows[1]["when"], "summary": "¥1,000",
                       "link": "/app/orders/7/"}
    assert rows[0]["link"] == f"/app/customers/accounts/{mine.pk}/"
    # Page by page with the cursor, nothing lost or repeated.
    seen, url = [], f"/api/v1/timeline/?account={mine.pk}&limit=1"
    while url:
        page = client.get(url).json()
        seen += [(row["kind"], row["id"]) for row in page["results"]]
        url = page["next"]
    assert seen == [(row["kind"], row["id"]) for row in rows]
    contact_rows = client.get("/api/v1/timeline/", {"contact": contact.pk}).json()["results"]
    assert [row["id"] for row in contact_rows] == [str(note.pk)]


def test_the_timeline_pages_through_items_at_the_same_moment(in_acme, org):
    moment = timezone.now()
    made = [Activity.objects.create(kind="note", subject=f"N{n}", account=org["mine"],
                                    owner=org["rep"], created=moment) for n in range(7)]
    client = signed_in(in_acme.host, "rep@acme.example")
    seen, url = [], f"/api/v1/timeline/?account={org['mine'].pk}&limit=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(str(activity.pk) for activity in made)


def test_the_timeline_of_a_record_one_cannot_see_is_404(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    assert client.get("/api/v1/timeline/", {"account": org["theirs"].pk}).status_code == 404
    assert client.get("/api/v1/timeline/", {"account": 999999}).status_code == 404
    assert client.get("/api/v1/timeline/").status_code == 400
    assert client.get("/api/v1/timeline/", {"account": org["mine"].pk,
                                            "cursor": "junk"}).status_code == 400
    assert client.get("/api/v1/timeline/", {"account": org["mine"].pk,
                                            "limit": 0}).status_code == 400


def test_reminders_are_sent_once_to_the_assignee(in_acme, org, globex):
    past = timezone.now() - timedelta(minutes=1)
    with tenant_context(globex.tenant):
        globex_rep = get_user_model().objects.get(email="rep@globex.example")
        foreign = Activity.objects.create(kind="task", subject="Globex task",
                                          owner=globex_rep, reminder_at=past)
    due = Activity.objects.create(kind="task", subject="Call Ada back", account=org["mine"],
                                  owner=org["rep"], assignee=org["manager"],
                                  reminder_at=past)
    Activity.objects.create(kind="task", subject="Not yet", account=org["mine"],
                            owner=org["rep"], reminder_at=timezone.now() + timedelta(hours=1))
    Activity.objects.create(kind="task", subject="Done already", account=org["mine"],
                            owner=org["rep"], reminder_at=past, done_at=past)
    assert tasks.send_due_reminders() == 1
    assert tasks.send_due_reminders() == 0  # a second run finds nothing left
    sent = list(Notification.objects.filter(kind="activity.reminder"))
    assert [(n.recipient_id, n.title, n.link) for n in sent] == [
        (org["manager"].pk, "Reminder: Call Ada back",
         f"/app/customers/accounts/{org['mine'].pk}/")]
    due.refresh_from_db()
    assert due.reminded
    with tenant_context(globex.tenant):  # never reached from acme's run
        foreign.refresh_from_db()
        assert not foreign.reminded
        assert not Notification.objects.filter(kind="activity.reminder").exists()


def test_a_new_reminder_time_reminds_again(in_acme, org):
    task = Activity.objects.create(kind="task", subject="T", account=org["mine"],
                                   owner=org["rep"], reminder_at=timezone.now(),
                                   reminded=True)
    client = signed_in(in_acme.host, "rep@acme.example")
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert patch(client, f"/api/v1/activities/{task.pk}/",
                 {"reminder_at": later}).json()["reminded"] is False


def test_another_tenant_sees_none_of_it(in_acme, org, globex):
    Activity.objects.create(kind="note", subject="Acme only", account=org["mine"],
                            owner=org["rep"])
    client = host_client(globex.host)
    token = {"HTTP_AUTHORIZATION": f"Token {admin_token(globex.tenant)}"}
    with tenant_context(globex.tenant):
        response = client.get("/api/v1/activities/", **token)
    assert response.status_code == 200
    assert response.json()["results"] == []
    foreign = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get("/api/v1/activities/", **foreign).status_code == 401
    acme_client = host_client(in_acme.host)
    own = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    rows = acme_client.get("/api/v1/activities/", **own).json()["results"]
    assert [row["subject"] for row in rows] == ["Acme only"]
