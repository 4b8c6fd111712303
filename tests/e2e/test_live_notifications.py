"""The notification bell, inbox, preferences, jobs and announcements in a real browser.

The server runs in another process, so rows it must see are committed (fixture ``committed``)
and removed again by the ``acme_live`` fixture. Pushes from this process go through Redis.
"""

import re
import threading
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from realtime import kinds
from realtime.jobs import JobProgress, start_job
from realtime.models import Job, Notification, NotificationPreference
from realtime.services import notify, unread_count
from realtime.tasks import audience_users
from tenants.models import Tenant
from tests.fixtures.browser import screenshot
from tests.fixtures.servers import start_server
from tests.fixtures.world import PASSWORD

DESKTOP = {"width": 1280, "height": 860}
MOBILE = {"width": 390, "height": 844}
BELL = "#live-bell"
RECONNECT_WITHIN_MS = 60_000  # back-off doubles from 1 s; a restart may wait out a 16-30 s step


def in_tenant_thread(tenant, fn):
    """Run ``fn`` in the tenant on a fresh thread and return its result.

    Playwright's sync API keeps an event loop in the test thread, and pushes (async_to_sync)
    refuse to run beside one; a thread of its own has none."""
    outcome = {}

    def run():
        try:
            with tenant_context(tenant):
                outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def acme_live(live_asgi, committed):
    """acme over the shared server; what a test adds (notifications, preferences, jobs) goes."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        last_notification = Notification.objects.order_by("-id").values_list("id", flat=True)
        last_preference = NotificationPreference.objects.order_by("-id").values_list(
            "id", flat=True)
        marks = (last_notification.first() or 0, last_preference.first() or 0,
                 set(Job.objects.values_list("id", flat=True)))
        # A language picked in the header is saved on the user: put the world's back after.
        languages = dict(get_user_model().objects.values_list("pk", "preferred_language"))
    world = SimpleNamespace(tenant=tenant, server=live_asgi,
                            base=f"http://acme.localhost:{live_asgi.port}")
    yield world
    with tenant_context(tenant):
        Notification.objects.filter(id__gt=marks[0]).delete()
        NotificationPreference.objects.filter(id__gt=marks[1]).delete()
        Job.objects.exclude(id__in=marks[2]).delete()
        for pk, language in languages.items():
            get_user_model().objects.filter(pk=pk).update(preferred_language=language)


def user(tenant, email):
    with tenant_context(tenant):
        return get_user_model().objects.get(email=email)


def send(tenant, email, title, *, kind=kinds.TEAM_MEMBER_JOINED.code, body="", link=""):
    """notify() one user, as the application would (committed, pushed once stored)."""
    recipient = user(tenant, email)
    rows = in_tenant_thread(tenant, lambda: notify(
        [recipient], kind=kind, title=title, body=body, link=link, email=False))
    return rows[0]


def unread(tenant, email) -> int:
    with tenant_context(tenant):
        return unread_count(user(tenant, email).pk)


def login(page, base, email, *, portal=False):
    area = "portal" if portal else "app"
    page.goto(f"{base}/{area}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/{area}/")
    expect(page.locator("body")).to_have_attribute("data-live", "open")


def badge(page):
    return page.locator(f"{BELL} [data-live-badge]")


def expect_unread(page, count: int):
    expect(page.locator(BELL)).to_have_attribute("data-unread", str(count))
    if count:
        expect(badge(page)).to_have_text(str(count))
    else:
        expect(badge(page)).to_be_hidden()


def open_bell(page):
    if not page.locator(f"{BELL} .live-menu.show").count():
        page.click(f"{BELL} [data-bs-toggle=dropdown]")
    expect(page.locator(f"{BELL} .live-menu")).to_be_visible()


def bell_item(page, title):
    return page.locator(f"{BELL} [data-live-list] [data-id]", has_text=title)


def shots(page, name):
    """The page at desktop and phone width (whatever is open stays open)."""
    screenshot(page, name)
    page.set_viewport_size(MOBILE)
    page.wait_for_timeout(150)
    screenshot(page, f"{name}-mobile")
    page.set_viewport_size(DESKTOP)


def test_staff_bell_counts_lists_and_marks_read_live(acme_live, page):
    world = acme_live
    rep = "rep@acme.example"
    before = unread(world.tenant, rep)
    send(world.tenant, rep, "Welcome to the pipeline review")
    login(page, world.base, rep)
    expect_unread(page, before + 1)

    page.evaluate("window.sameDocument = true")
    sent = send(world.tenant, rep, "Quarterly numbers are in",
                body="Revenue grew 12% over the last quarter. " * 6, link="/notifications/")
    expect_unread(page, before + 2)
    expect(page.locator(".live-toast", has_text="Quarterly numbers are in")).to_be_visible()
    open_bell(page)
    item = bell_item(page, "Quarterly numbers are in")
    expect(item).to_have_class(re.compile(r"\blive-unread\b"))
    expect(item).to_have_attribute("href", "/notifications/")
    assert page.evaluate("window.sameDocument") is True  # arrived without a reload
    assert page.locator(f"{BELL} [data-live-list] [data-id]").first.get_attribute(
        "data-id") == str(sent.pk)  # newest unread first
    shots(page, "bell-dropdown-en")

    item.click()  # marks it read, then follows its link
    page.wait_for_url(f"{world.base}/notifications/")
    with tenant_context(world.tenant):
        assert Notification.objects.get(pk=sent.pk).is_read
    expect(page.locator(f"#notification-{sent.pk}")).not_to_have_class(
        re.compile(r"\blive-unread\b"))
    expect_unread(page, before + 1)
    shots(page, "inbox-en")

    open_bell(page)
    with page.expect_response(re.compile(r".*/read-all/$")):
        page.click(f"{BELL} [data-live-read-all]")
    expect_unread(page, 0)
    expect(page.locator(f"{BELL} .live-unread")).to_have_count(0)
    with tenant_context(world.tenant):
        assert unread_count(user(world.tenant, rep).pk) == 0
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    expect_unread(page, 0)


def test_inbox_marks_one_and_all_read_without_javascript_help(acme_live, page):
    world = acme_live
    rep = "rep@acme.example"
    first = send(world.tenant, rep, "First of two")
    second = send(world.tenant, rep, "Second of two")
    login(page, world.base, rep)
    page.goto(f"{world.base}/notifications/")
    row = page.locator(f"#notification-{first.pk}")
    row.get_by_role("button", name="Mark read").click()
    expect(page.locator(f"#notification-{first.pk}")).not_to_have_class(
        re.compile(r"\blive-unread\b"))
    expect(page.locator(f"#notification-{second.pk}")).to_have_class(
        re.compile(r"\blive-unread\b"))
    page.locator("[data-inbox-read-all]").click()
    expect(page.locator(".live-inbox .live-unread")).to_have_count(0)
    expect_unread(page, 0)


def test_customer_bell_works_and_never_shows_staff_notifications(acme_live, page):
    world = acme_live
    customer = "customer@acme.example"
    before = unread(world.tenant, customer)
    login(page, world.base, customer, portal=True)
    expect_unread(page, before)

    send(world.tenant, "rep@acme.example", "Staff only: pricing review")
    news = send(world.tenant, customer, "Your order has shipped",
                kind=kinds.CUSTOMER_ANNOUNCEMENT.code, body="It arrives on Thursday.")
    expect_unread(page, before + 1)
    open_bell(page)
    expect(bell_item(page, "Your order has shipped")).to_be_visible()
    expect(page.locator(BELL, has_text="Staff only")).to_have_count(0)
    shots(page, "bell-dropdown-portal-en")

    # Without a link, clicking marks it read in place.
    with page.expect_response(re.compile(rf".*/notifications/{news.pk}/read/$")):
        bell_item(page, "Your order has shipped").click()
    expect_unread(page, before)
    expect(bell_item(page, "Your order has shipped")).not_to_have_class(
        re.compile(r"\blive-unread\b"))
    with tenant_context(world.tenant):
        assert Notification.objects.get(pk=news.pk).is_read

    page.reload()  # the API catch-up does not know the staff notification either
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    open_bell(page)
    expect(bell_item(page, "Your order has shipped")).to_be_visible()
    expect(page.locator(BELL, has_text="Staff only")).to_have_count(0)
    page.goto(f"{world.base}/notifications/")
    # The inbox's own list (the bell, once it has caught up, holds the same item).
    expect(page.locator("main").get_by_text("Your order has shipped")).to_be_visible()
    expect(page.get_by_text("Staff only")).to_have_count(0)


def test_page_reconnects_after_a_restart_and_catches_up(acme_live, browser):
    world = acme_live
    rep = "rep@acme.example"
    server = start_server()
    restarted = None
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        base = f"http://acme.localhost:{server.port}"
        login(page, base, rep)
        before = unread(world.tenant, rep)
        page.evaluate("window.sameDocument = true")

        server.process.terminate()
        server.process.wait(10)
        expect(page.locator("body")).to_have_attribute(
            "data-live", re.compile(r"^(closed|connecting)$"))
        send(world.tenant, rep, "Sent while you were away")  # its push reaches nobody
        open_bell(page)
        expect(page.locator(f"{BELL} [data-live-offline]")).to_be_visible()
        screenshot(page, "bell-offline-en")

        restarted = start_server(port=server.port)
        expect(page.locator("body")).to_have_attribute(
            "data-live", "open", timeout=RECONNECT_WITHIN_MS)
        expect(bell_item(page, "Sent while you were away")).to_be_visible()
        expect_unread(page, before + 1)
        expect(page.locator(f"{BELL} [data-live-offline]")).to_be_hidden()
        assert page.evaluate("window.sameDocument") is True

        # And the new connection gets pushes again.
        send(world.tenant, rep, "Back to normal")
        expect(bell_item(page, "Back to normal")).to_be_visible()
        expect_unread(page, before + 2)
    finally:
        context.close()
        for running in (server, restarted):
            if running and running.process.poll() is None:
                running.process.terminate()
                running.process.wait(10)


def test_preferences_page_saves(acme_live, page):
    world = acme_live
    rep = "rep@acme.example"
    login(page, world.base, rep)
    open_bell(page)
    page.locator(BELL).get_by_role("link", name="Preferences").click()
    page.wait_for_url(f"{world.base}/notifications/preferences/")
    expect(page.get_by_role("row", name=re.compile("New colleagues"))).to_be_visible()
    # Staff see staff kinds only.
    expect(page.get_by_text(str(kinds.CUSTOMER_ANNOUNCEMENT.label))).to_have_count(0)
    shots(page, "preferences-en")

    in_app = page.locator("input[name='in_app:job.finished']")
    email = page.locator("input[name='email:team.member_joined']")
    expect(in_app).to_be_checked()
    expect(email).not_to_be_checked()
    in_app.uncheck()
    email.check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Your notification preferences are saved.")
    page.reload()
    expect(page.locator("input[name='in_app:job.finished']")).not_to_be_checked()
    expect(page.locator("input[name='email:team.member_joined']")).to_be_checked()
    with tenant_context(world.tenant):
        saved = {p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(
            user__email=rep)}
    assert saved["job.finished"] == (False, False)
    assert saved["team.member_joined"] == (True, True)


def test_only_a_tenant_admin_may_announce(acme_live, page):
    world = acme_live
    response = page.goto(f"{world.base}/app/announcements/new/")
    assert "/app/login/" in page.url, response.url
    login(page, world.base, "rep@acme.example")
    expect(page.get_by_role("link", name="New announcement")).to_have_count(0)
    response = page.goto(f"{world.base}/app/announcements/new/")
    assert response.status == 403


def test_admin_announces_and_follows_the_job(acme_live, page):
    world = acme_live
    admin = "admin@acme.example"
    with tenant_context(world.tenant):
        staff = audience_users(kinds.STAFF).count()
    login(page, world.base, admin)
    page.get_by_role("link", name="New announcement").click()
    page.wait_for_url(f"{world.base}/app/announcements/new/")

    page.fill("#id_title", "Office closed on Friday")
    page.fill("#id_body", "The office is closed for the move. Support answers as usual.")
    page.fill("#id_link", "//elsewhere.example/")
    page.get_by_role("button", name="Send announcement").click()
    expect(page.locator("#id_link.is-invalid")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Office closed on Friday")
    shots(page, "announce-form-en")

    page.fill("#id_link", "/notifications/")
    page.get_by_label("All staff").check()
    page.get_by_role("button", name="Send announcement").click()
    page.wait_for_url(re.compile(rf"{re.escape(world.base)}/app/jobs/[0-9a-f-]{{36}}/$"))
    job = page.locator("#job")
    expect(job.locator("[data-field=status]")).to_have_text("Succeeded")
    expect(job.locator("[data-field=total]")).to_have_text(str(staff))
    expect(job.locator("[data-field=done]")).to_have_text(str(staff))
    expect(job.locator("[data-field=failed]")).to_have_text("0")
    expect(job.locator("[data-field=bar]")).to_have_text("100%")
    expect(job.locator("[data-field=result]")).to_contain_text("Recipients")
    expect(job.locator("[data-field=errors_url]")).to_be_hidden()
    shots(page, "job-en")

    # Every staff member has it, the admin's bell too (with the job's own "Finished" note).
    with tenant_context(world.tenant):
        got = set(Notification.objects.filter(title="Office closed on Friday")
                  .values_list("recipient__email", flat=True))
    assert {admin, "rep@acme.example"} <= got
    assert "customer@acme.example" not in got
    open_bell(page)
    expect(bell_item(page, "Office closed on Friday")).to_have_count(2)
    expect(bell_item(page, "Finished: Office closed on Friday")).to_have_attribute(
        "href", re.compile(r"^/app/jobs/[0-9a-f-]{36}/$"))

    page.goto(f"{world.base}/app/jobs/")
    expect(page.get_by_role("link", name="Office closed on Friday")).to_be_visible()
    shots(page, "jobs-en")


def test_job_page_follows_progress_live(acme_live, page):
    world = acme_live
    admin = "admin@acme.example"
    owner = user(world.tenant, admin)
    job = in_tenant_thread(world.tenant, lambda: start_job(
        owner=owner, kind="import", title="Import 4 contacts"))
    login(page, world.base, admin)
    page.goto(f"{world.base}/app/jobs/{job.pk}/")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    view = page.locator("#job")
    expect(view.locator("[data-field=status]")).to_have_text("Queued")
    expect(view.locator("[data-field=waiting]")).to_be_visible()
    page.evaluate("window.sameDocument = true")

    progress = in_tenant_thread(world.tenant, lambda: JobProgress(job.pk).__enter__())
    for step in (lambda: progress.set_total(4), lambda: progress.advance(1),
                 lambda: progress.item_failed("Bad Row", "no e-mail")):
        time.sleep(0.3)  # progress is saved and pushed at most every 0.25 s
        in_tenant_thread(world.tenant, step)
    expect(view.locator("[data-field=status]")).to_have_text("Running")
    expect(view.locator("[data-field=bar]")).to_have_text("50%")
    expect(view.locator("[data-field=done]")).to_have_text("1")
    expect(view.locator("[data-field=failed]")).to_have_text("1")
    screenshot(page, "job-running-en")

    time.sleep(0.3)
    in_tenant_thread(world.tenant, lambda: progress.advance(2))
    in_tenant_thread(world.tenant, lambda: progress.finish(result={"created": 3}))
    expect(view.locator("[data-field=status]")).to_have_text("Succeeded")
    expect(view.locator("[data-field=bar]")).to_have_text("100%")
    expect(view.locator("[data-field=waiting]")).to_be_hidden()
    expect(view.locator("[data-field=result]")).to_contain_text("Created")
    errors = view.locator("[data-field=errors_url]")
    expect(errors).to_be_visible()
    expect(errors).to_have_attribute("href", f"/app/jobs/{job.pk}/errors.csv")
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator(".live-toast", has_text="Finished with 1 problems")).to_be_visible()


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        translated = translation.gettext(message)
    assert translated != message, f"no Chinese for {message!r} in the catalogue yet"
    return translated


def test_pages_in_simplified_chinese(acme_live, page):
    world = acme_live
    admin = "admin@acme.example"
    send(world.tenant, admin, "季度报告已发布", body="请在周五之前查看。", link="/notifications/")
    login(page, world.base, admin)
    page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("body")).to_have_attribute("data-live", "open")

    bell_button = page.locator(f"{BELL} [data-bs-toggle=dropdown]")
    expect(bell_button).to_have_attribute("title", zh("Notifications"))
    open_bell(page)
    expect(page.locator(f"{BELL} [data-live-read-all]")).to_have_text(zh("Mark all read"))
    expect(page.locator(BELL).get_by_role("link", name=zh("All notifications"))).to_be_visible()
    shots(page, "bell-dropdown-zh")

    page.goto(f"{world.base}/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Notifications"))
    shots(page, "inbox-zh")
    page.goto(f"{world.base}/notifications/preferences/")
    expect(page.get_by_role("columnheader", name=zh("By e-mail"))).to_be_visible()
    shots(page, "preferences-zh")
    page.goto(f"{world.base}/app/announcements/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("New announcement"))
    page.fill("#id_title", "周五办公室关闭")
    page.fill("#id_body", "因搬迁，周五办公室关闭。")
    shots(page, "announce-form-zh")
    page.get_by_role("button", name=zh("Send announcement")).click()
    page.wait_for_url(re.compile(r".*/app/jobs/[0-9a-f-]{36}/$"))
    expect(page.locator("#job [data-field=status]")).to_have_text(zh("Succeeded"))
    shots(page, "job-zh")
    page.goto(f"{world.base}/app/jobs/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Jobs"))
    shots(page, "jobs-zh")
