"""notify(), the inbox API, preferences, announcements and jobs, through the Django client."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from realtime.groups import user_group
from realtime.jobs import JobProgress, start_job
from realtime.models import Job, Notification, NotificationPreference
from realtime.services import notify
from tests.fixtures.world import admin_token, host_client


def user(email):
    return get_user_model().objects.get(email=email)


@pytest.fixture
def in_acme(acme):
    with tenant_context(acme.tenant):
        Notification.objects.all().delete()  # the world's own "joined the team" events
        yield acme


def api(host, email, login_path="/app/login/"):
    return host_client(host, email=email, login_path=login_path)


# --- notify() ---------------------------------------------------------------------------

def test_notify_pushes_only_after_the_transaction_commits(in_acme,
                                                          django_capture_on_commit_callbacks):
    import asyncio

    layer = get_channel_layer()
    admin = user("admin@acme.example")
    pending = []

    def store():
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notify([admin], kind="announcement.staff", title="Before commit")
        pending.extend(callbacks)

    def commit():
        for callback in pending:
            callback()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(user_group(in_acme.tenant.schema_name, admin.pk), channel)
        # One receive throughout: the pub/sub layer unsubscribes a channel whose receive is
        # cancelled (a consumer only cancels it when it goes away).
        incoming = asyncio.ensure_future(layer.receive(channel))
        await sync_to_async(store)()
        await asyncio.sleep(0.5)
        early = incoming.done()
        await sync_to_async(commit)()
        return early, await asyncio.wait_for(incoming, 5)

    early, message = async_to_sync(scenario)()
    assert early is False  # nothing left the process before the commit
    assert message["type"] == "notification.new"
    assert message["notification"]["title"] == "Before commit"
    assert message["unread"] == 1


def test_notify_follows_each_users_preferences_and_language(in_acme, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    admin, rep = user("admin@acme.example"), user("rep@acme.example")
    rep.preferred_language = "zh-hans"
    rep.save()
    NotificationPreference.objects.create(user=admin, kind="team.member_joined",
                                          in_app=False, email=True)
    NotificationPreference.objects.create(user=rep, kind="team.member_joined",
                                          in_app=True, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify([admin, rep, rep.pk], kind="team.member_joined",
                      title=format_lazy(_("{name} joined the team"), name="Ada"),
                      link="/app/")
    assert [row.recipient_id for row in rows] == [rep.pk]  # admin chose e-mail only
    assert Notification.objects.get(recipient=rep).title == "Ada 加入了团队"
    assert sorted(m.to[0] for m in mailoutbox) == ["admin@acme.example", "rep@acme.example"]
    english = next(m for m in mailoutbox if m.to == ["admin@acme.example"])
    assert english.subject == "Ada joined the team"
    assert "http://acme.localhost:8000/app/" in english.body
    assert "http://acme.localhost:8000/notifications/preferences/" in english.body


def test_notify_skips_inactive_users_and_unknown_kinds(in_acme):
    rep = user("rep@acme.example")
    rep.is_active = False
    rep.save()
    assert notify([rep], kind="announcement.staff", title="x") == []
    with pytest.raises(LookupError):
        notify([user("admin@acme.example")], kind="no.such.kind", title="x")


def test_a_new_staff_user_is_announced_to_the_admins(in_acme):
    create_user(email="newbie@acme.example", password=None, role=SALES_REP,
                first_name="New", last_name="Bie")
    note = Notification.objects.get(kind="team.member_joined")
    assert note.recipient.email == "admin@acme.example"
    assert note.title == "New Bie joined the team"
    assert "newbie@acme.example" in note.body


def test_a_new_portal_customer_is_not_a_staff_event(in_acme):
    create_user(email="buyer@acme.example", password=None, role="portal_customer")
    assert not Notification.objects.exists()


# --- the inbox API ----------------------------------------------------------------------

def make(recipient, count, read=False, prefix="n"):
    return [Notification.objects.create(recipient=recipient, kind="announcement.staff",
                                        title=f"{prefix}{i}", is_read=read)
            for i in range(count)]


def test_the_inbox_lists_unread_first_newest_first_with_a_cursor(in_acme):
    admin = user("admin@acme.example")
    read = make(admin, 3, read=True, prefix="read")
    unread = make(admin, 4, prefix="unread")
    make(user("rep@acme.example"), 2, prefix="not-mine")
    client = api(in_acme.host, "admin@acme.example")
    seen, url = [], "/api/v1/notifications/?page_size=3"
    while url:
        body = client.get(url).json()
        assert body["unread"] == 4
        seen += [row["title"] for row in body["results"]]
        url = body["next"]
    assert seen == [n.title for n in reversed(unread)] + [n.title for n in reversed(read)]


def test_a_new_notification_during_paging_is_neither_skipped_nor_repeated(in_acme):
    admin = user("admin@acme.example")
    make(admin, 5, prefix="old")
    client = api(in_acme.host, "admin@acme.example")
    first = client.get("/api/v1/notifications/?page_size=2").json()
    make(admin, 1, prefix="newer")
    rest, url = [], first["next"]
    while url:
        body = client.get(url).json()
        rest += [row["title"] for row in body["results"]]
        url = body["next"]
    titles = [row["title"] for row in first["results"]] + rest
    assert titles == ["old4", "old3", "old2", "old1", "old0"]


def test_mark_one_and_all_read(in_acme):
    admin = user("admin@acme.example")
    first, second, third = make(admin, 3)
    client = api(in_acme.host, "admin@acme.example")
    assert client.post(f"/api/v1/notifications/{first.pk}/read/").status_code == 204
    first.refresh_from_db()
    assert first.is_read
    assert first.read_at
    assert client.get("/api/v1/notifications/").json()["unread"] == 2
    assert client.post("/api/v1/notifications/read-all/").json() == {"updated": 2}
    assert not Notification.objects.filter(recipient=admin, is_read=False).exists()


def test_nobody_reads_or_marks_another_users_notification(in_acme, globex):
    mine = make(user("customer@acme.example"), 1, prefix="customer-x")[0]
    other = api(in_acme.host, "other@acme.example", "/portal/login/")
    assert other.get(f"/api/v1/notifications/{mine.pk}/").status_code == 404
    assert other.post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 404
    assert other.get("/api/v1/notifications/").json()["results"] == []
    assert other.post("/api/v1/notifications/read-all/").json() == {"updated": 0}
    mine.refresh_from_db()
    assert not mine.is_read
    # Tenant B with a valid token of its own sees none of tenant A's rows.
    token = admin_token(globex.tenant)
    client = host_client(globex.host)
    response = client.get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert "customer-x" not in response.content.decode()
    # And tenant A's token means nothing on tenant B's host.
    foreign = client.get("/api/v1/notifications/",
                         HTTP_AUTHORIZATION=f"Token {admin_token(in_acme.tenant)}")
    assert foreign.status_code == 401


def test_portal_customers_use_the_same_inbox(in_acme):
    customer = user("customer@acme.example")
    make(customer, 2, prefix="order")
    client = api(in_acme.host, "customer@acme.example", "/portal/login/")
    body = client.get("/api/v1/notifications/").json()
    assert [row["title"] for row in body["results"]] == ["order1", "order0"]


@pytest.mark.parametrize("query", ["cursor=!!!", "cursor=Mjpmb28=", "page_size=lots"])
def test_bad_paging_input_is_a_400(in_acme, query):
    client = api(in_acme.host, "admin@acme.example")
    response = client.get(f"/api/v1/notifications/?{query}")
    assert response.status_code == 400


def test_anonymous_callers_are_refused(in_acme):
    assert host_client(in_acme.host).get("/api/v1/notifications/").status_code in (401, 403)


# --- preferences ------------------------------------------------------------------------

def test_preferences_round_trip_and_bad_input(in_acme):
    client = api(in_acme.host, "rep@acme.example")
    current = client.get("/api/v1/notifications/preferences/").json()
    kinds = {row["kind"] for row in current}
    assert {"announcement.staff", "team.member_joined", "job.finished"} <= kinds
    assert "announcement.customers" not in kinds  # a customers' kind
    change = [{"kind": "announcement.staff", "in_app": False, "email": True}]
    saved = client.put("/api/v1/notifications/preferences/", json.dumps(change),
                       content_type="application/json").json()
    row = next(r for r in saved if r["kind"] == "announcement.staff")
    assert (row["in_app"], row["email"]) == (False, True)
    bad = [
        ("{not json", 400),
        (json.dumps([{"kind": "announcement.customers", "in_app": True, "email": True}]), 400),
        (json.dumps([{"kind": "announcement.staff", "in_app": "maybe", "email": True}]), 400),
        (json.dumps({"kind": "x"}), 400),
    ]
    for body, status in bad:
        response = client.put("/api/v1/notifications/preferences/", body,
                              content_type="application/json")
        assert response.status_code == status, body
    pref = NotificationPreference.objects.get(user__email="rep@acme.example")
    assert (pref.in_app, pref.email) == (False, True)  # the bad calls changed nothing


# --- announcements and jobs -------------------------------------------------------------

def test_an_admin_announces_to_customers_as_a_job(in_acme, django_capture_on_commit_callbacks):
    client = api(in_acme.host, "admin@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/announcements/", json.dumps({
            "audience": "customers", "title": "Spring sale", "body": "20% off",
            "link": "/shop/"}), content_type="application/json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED  # tasks run eagerly here
    assert job.result["recipients"] == 2
    assert set(Notification.objects.filter(kind="announcement.customers")
               .values_list("recipient__email", flat=True)) == {
        "customer@acme.example", "other@acme.example"}
    detail = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert detail["percent"] == 100
    assert detail["finished"]


@pytest.mark.parametrize(("email", "login"), [("rep@acme.example", "/app/login/"),
                                              ("customer@acme.example", "/portal/login/")])
def test_only_admins_announce(in_acme, email, login):
    response = api(in_acme.host, email, login).post(
        "/api/v1/announcements/", {"title": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize("payload", [
    {"title": ""}, {"title": "x" * 201}, {"title": "ok", "audience": "everyone"},
    {"title": "ok", "link": "https://evil.example/"}, {"title": "ok", "link": "//evil"},
    {"title": "ok", "link": "/\\evil.example"}, {"title": "ok", "link": "/\t/evil.example"},
])
def test_bad_announcements_are_a_400(in_acme, payload):
    client = api(in_acme.host, "admin@acme.example")
    response = client.post("/api/v1/announcements/", json.dumps(payload),
                           content_type="application/json")
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_a_job_is_visible_only_to_its_owner(in_acme):
    job = start_job(owner=user("admin@acme.example"), kind="export", title="Export")
    assert api(in_acme.host, "rep@acme.example").get(
        f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api(in_acme.host, "rep@acme.example").get(
        f"/app/jobs/{job.pk}/errors.csv").status_code == 404
    assert api(in_acme.host, "admin@acme.example").get(
        f"/api/v1/jobs/{job.pk}/").status_code == 200


def test_job_progress_records_items_errors_and_the_report(in_acme):
    admin = user("admin@acme.example")
    job = start_job(owner=admin, kind="import", title="Import contacts")
    with JobProgress(job.pk) as progress:
        progress.set_total(3)
        progress.advance()
        progress.item_failed("row 2", "=HYPERLINK(\"http://x\") is not an e-mail")
        progress.item_failed("行 3", "名字不能为空")
        progress.finish(result={"created": 1})
    job.refresh_from_db()
    assert (job.status, job.done, job.failed, job.percent) == ("succeeded", 1, 2, 100)
    report = api(in_acme.host, "admin@acme.example").get(f"/app/jobs/{job.pk}/errors.csv")
    text = report.content.decode("utf-8-sig")
    assert report["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in text  # a formula is defused
    assert "行 3,名字不能为空" in text
    assert Notification.objects.get(kind="job.finished").title == \
        "Finished with 2 problems: Import contacts"


def test_a_job_that_raises_is_marked_failed(in_acme):
    job = start_job(owner=user("admin@acme.example"), kind="import", title="Broken")
    with pytest.raises(ValueError, match="bad file"), JobProgress(job.pk):
        raise ValueError("bad file")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message == "bad file"
    assert Notification.objects.get(kind="job.finished").title == "Failed: Broken"
