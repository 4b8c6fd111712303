"""Celery through Redis with a real worker process: tenant context, no-tenant refusal,
periodic fan-out, job progress pushed live, and e-mail with the tenant's own links."""

import asyncio
import time

import pytest
from celery.beat import ScheduleEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from core.accounts import create_user
from core.beat import ActiveTenantScheduler
from core.roles import SALES_REP
from core.tasks import NoTenantError, send_email
from realtime.announcements import queue_announcement
from realtime.models import Job, Notification
from realtime.tasks import announce, purge_read_notifications
from tests.fixtures.sockets import login_cookie, next_message, open_socket

pytestmark = pytest.mark.usefixtures("committed")


@pytest.fixture
def tenants(committed):
    from tenants.models import Tenant

    return {t.slug: t for t in Tenant.objects.filter(slug__in=["acme", "globex"])}


@pytest.fixture
def clean(tenants):
    def clean_all():
        for tenant in tenants.values():
            with tenant_context(tenant):
                Notification.objects.all().delete()
                Job.objects.all().delete()
                get_user_model().objects.filter(email__endswith="@bounce.example").delete()

    clean_all()
    yield
    clean_all()


def wait_until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def wait_for_job(tenant, job) -> None:
    """Until the job is finished and its owner has been told (the last thing it does)."""

    def finished():
        with tenant_context(tenant):
            job.refresh_from_db()
            return job.is_finished and Notification.objects.filter(
                kind="job.finished", recipient_id=job.owner_id).exists()

    wait_until(finished)


def staff_emails(tenant) -> set[str]:
    from realtime.tasks import audience_users

    with tenant_context(tenant):
        return set(audience_users("staff").values_list("email", flat=True))


@pytest.mark.usefixtures("clean")
def test_an_announcement_queued_in_acme_runs_in_acme(celery_worker, mail_sink, tenants):
    acme, globex = tenants["acme"], tenants["globex"]
    sent_before = len(mail_sink.messages)
    with tenant_context(acme):
        admin = get_user_model().objects.get(email="admin@acme.example")
        job = queue_announcement(admin, {"audience": "staff", "title": "Office closed Friday",
                                         "body": "Enjoy the long weekend", "link": "/app/"})

    wait_for_job(acme, job)
    assert job.status == Job.Status.SUCCEEDED, job.message
    recipients = staff_emails(acme)
    assert job.result == {"recipients": len(recipients), "notified": len(recipients),
                          "emailed": len(recipients)}
    with tenant_context(acme):
        got = set(Notification.objects.filter(kind="announcement.staff")
                  .values_list("recipient__email", flat=True))
        assert got == recipients
    with tenant_context(globex):
        assert not Notification.objects.filter(kind="announcement.staff").exists()
    mails = wait_until(lambda: mail_sink.messages[sent_before:]
                       if len(mail_sink.messages) - sent_before >= len(recipients) else None)
    assert {m["To"] for m in mails} == recipients
    for mail in mails:
        assert mail["Subject"] == "Office closed Friday"
        text = mail.get_body(("plain",)).get_content()
        assert "http://acme.localhost" in text  # links on the tenant's own host
        assert "globex" not in text


@pytest.mark.usefixtures("clean")
def test_an_unreachable_address_is_a_per_item_error(celery_worker, tenants):
    acme = tenants["acme"]
    with tenant_context(acme):
        create_user(email="gone@bounce.example", password=None, role=SALES_REP)
        admin = get_user_model().objects.get(email="admin@acme.example")
        job = queue_announcement(admin, {"audience": "staff", "title": "Heads up",
                                         "body": "", "link": ""})

    wait_for_job(acme, job)
    assert job.status == Job.Status.SUCCEEDED
    assert job.failed == 1
    assert job.errors[0]["item"] == "gone@bounce.example"
    assert "550" in job.errors[0]["message"]
    assert job.done == len(staff_emails(acme)) - 1
    with tenant_context(acme):  # in-app delivery still reached the bouncing colleague
        assert Notification.objects.filter(recipient__email="gone@bounce.example",
                                           kind="announcement.staff").exists()


def test_a_tenant_task_queued_without_a_tenant_fails_loudly(celery_worker):
    connection.set_schema_to_public()
    with pytest.raises(NoTenantError):
        send_email.delay(to=["x@example.com"], subject="s", body="b")
    # A message that reaches the worker marked with the public schema is refused there too.
    result = celery_worker.send_task("core.send_email", kwargs={
        "to": ["x@example.com"], "subject": "s", "body": "b"},
        headers={"_schema_name": "public"})
    with pytest.raises(Exception, match="NoTenantError|tenant task"):
        result.get(timeout=30)
    assert result.state == "FAILURE"


@pytest.mark.usefixtures("clean")
def test_periodic_jobs_fan_out_to_every_active_tenant(celery_worker, tenants):
    old = timezone.now() - timezone.timedelta(days=200)
    for tenant in tenants.values():
        with tenant_context(tenant):
            admin = get_user_model().objects.get(email=f"admin@{tenant.slug}.example")
            Notification.objects.create(recipient=admin, kind="announcement.staff",
                                        title="stale", is_read=True, read_at=old)
            Notification.objects.create(recipient=admin, kind="announcement.staff",
                                        title="unread stays")
    scheduler = ActiveTenantScheduler(app=celery_worker, lazy=True)
    entry = ScheduleEntry(name="purge", task=purge_read_notifications.name, schedule=60,
                          app=celery_worker, options={"headers": {"_all_tenants_only": True}})
    with schema_context("public"):
        scheduler.apply_entry(entry)

    def purged():
        left = []
        for tenant in tenants.values():
            with tenant_context(tenant):
                left.append(Notification.objects.filter(title="stale").exists())
        return not any(left)

    wait_until(purged)
    for tenant in tenants.values():
        with tenant_context(tenant):
            assert Notification.objects.filter(title="unread stays").exists()


def test_beat_skips_suspended_tenants_and_non_tenants(tenants):
    from tenants.lifecycle import resume_tenant, suspend_tenant

    suspend_tenant(tenants["globex"])
    try:
        schemas = set(ActiveTenantScheduler.get_queryset().values_list("schema_name",
                                                                       flat=True))
    finally:
        resume_tenant(tenants["globex"])
    assert tenants["acme"].schema_name in schemas
    assert tenants["globex"].schema_name not in schemas
    assert "public" not in schemas
    assert "_template" not in schemas


@pytest.mark.usefixtures("clean")
def test_job_progress_reaches_the_owner_socket_live(celery_worker, live_asgi, tenants):
    acme = tenants["acme"]
    session = login_cookie(live_asgi, "acme.localhost", "admin@acme.example")
    with tenant_context(acme):
        admin = get_user_model().objects.get(email="admin@acme.example")

    async def scenario():
        async with open_socket(live_asgi, "acme.localhost", session=session) as socket:
            assert (await next_message(socket))["type"] == "hello"
            with tenant_context(acme):
                job = queue_announcement(admin, {"audience": "staff", "title": "Live job",
                                                 "body": "", "link": ""})
            seen = []
            while not (seen and seen[-1].get("type") == "job" and seen[-1]["job"]["finished"]):
                seen.append(await next_message(socket, timeout=30))
            return str(job.pk), seen

    job_id, seen = asyncio.run(scenario())
    updates = [m["job"] for m in seen if m["type"] == "job"]
    assert {u["id"] for u in updates} == {job_id}
    assert updates[0]["status"] == "running"
    assert updates[-1]["status"] == "succeeded"
    assert updates[-1]["percent"] == 100


def test_eager_mode_keeps_the_callers_tenant(tenants, clean):
    """Without a broker (make run) tasks run in the caller, still inside its tenant."""
    acme = tenants["acme"]
    with tenant_context(acme):
        admin = get_user_model().objects.get(email="admin@acme.example")
        job = Job.objects.create(owner=admin, kind="announcement", title="eager")
        result = announce.apply(args=[str(job.pk)], kwargs={
            "audience": "customers", "title": "Hello customers"}).get()
        customers = Notification.objects.filter(kind="announcement.customers")
        assert result["notified"] == customers.count() == 2
    with tenant_context(tenants["globex"]):
        assert not Notification.objects.filter(kind="announcement.customers").exists()


def test_a_worker_knows_every_task_the_app_queues(celery_worker):
    """Every task name the app queues or schedules is registered in a real worker."""
    registered = set()
    for names in (celery_worker.control.inspect(timeout=5).registered() or {}).values():
        registered.update(names)
    queued = {"core.send_email", "realtime.announce", "customers.import_contacts",
              "customers.import_accounts"}
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "crm_apps.customers.tasks.clear_abandoned_uploads" in scheduled
    for name in sorted(queued | scheduled):
        assert name in registered, name
