"""SLA clocks: business-time arithmetic (weekends, holidays, lunch breaks, the tenant's zone),
policies by priority and tier, the warning and escalation jobs (once, also when concurrent),
tenant isolation, and the admin-only settings pages and API."""

import datetime
import json
import threading
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import MANAGER, SALES_REP
from crm_apps.customers.models import Account, Team
from crm_apps.service import services, sla, sla_tasks
from crm_apps.service.models import BusinessHours, Holiday, SlaPolicy, Ticket
from realtime.models import Notification
from tests.fixtures.world import admin_token, host_client, post, signed_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0, zone=SHANGHAI) -> datetime.datetime:
    """A moment of the week of Monday 23 November 2026 (Friday is the 27th) in ``zone``."""
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=zone)


@pytest.fixture
def desk(in_acme):
    """acme working in Shanghai (the server counts in UTC), a support team led by a manager
    with the rep in it, and a normal-priority policy: answer in 2 hours, solve in 8."""
    assert settings.TIME_ZONE == "UTC"
    in_acme.tenant.time_zone = "Asia/Shanghai"
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    lead = create_user(email="lead@acme.example", password="test-pass-123", role=MANAGER)
    team = Team.objects.create(name="Support", lead=lead)
    team.members.add(rep)
    policy = SlaPolicy.objects.create(name="Acme normal", priority="normal",
                                      first_response_minutes=120, resolution_minutes=480,
                                      warn_before_minutes=60)
    return {"tenant": in_acme.tenant, "rep": rep, "lead": lead, "team": team,
            "policy": policy}


def ticket(created, *, owner=None, team=None, priority="normal", account=None, **fields):
    row = Ticket.objects.create(subject=fields.pop("subject", "Printer on fire"),
                                priority=priority, owner=owner, team=team, account=account,
                                created=created, **fields)
    sla.apply_policy(row)
    row.refresh_from_db()
    return row


# --- business time ---------------------------------------------------------------------

def test_friday_afternoon_plus_four_hours_is_monday_noon(desk):
    """No working hours configured: Monday to Friday 9-18 apply, in the tenant's zone."""
    assert not BusinessHours.objects.exists()
    due = sla.add_business_minutes(at(27, 17), 4 * 60)
    assert due == at(30, 12)
    assert due.astimezone(UTC) == datetime.datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    assert sla.business_minutes_between(at(27, 17), at(30, 12)) == 240
    assert sla.business_minutes_between(at(30, 12), at(27, 17)) == -240


def test_the_tenant_zone_not_the_server_zone_counts(desk):
    """17:00 UTC on Friday is 01:00 on Saturday in Shanghai: the clock starts on Monday 9:00."""
    due = sla.add_business_minutes(datetime.datetime(2026, 11, 27, 17, 0, tzinfo=UTC), 60)
    assert due == at(30, 10)
    # Counted in UTC, the same moment is inside Friday's hours: one hour on is 18:00 UTC.
    utc_calendar = sla.Calendar(zone=UTC, hours=sla.DEFAULT_HOURS)
    assert utc_calendar.add_minutes(datetime.datetime(2026, 11, 27, 17, 0, tzinfo=UTC), 60) == (
        datetime.datetime(2026, 11, 27, 18, 0, tzinfo=UTC))


def test_a_start_outside_working_hours_waits_for_the_opening(desk):
    assert sla.add_business_minutes(at(28, 10), 60) == at(30, 10)   # Saturday
    assert sla.add_business_minutes(at(26, 7), 30) == at(26, 9, 30)  # before opening
    assert sla.add_business_minutes(at(26, 18), 1) == at(27, 9, 1)   # at closing
    assert sla.add_business_minutes(at(26, 12), 0) == at(26, 12)


def test_a_holiday_is_skipped(desk):
    Holiday.objects.create(date=datetime.date(2026, 11, 30), name="Closed Monday")
    tuesday_noon = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
    assert sla.add_business_minutes(at(27, 17), 4 * 60) == tuesday_noon
    assert sla.business_minutes_between(at(27, 17), at(30, 17)) == 60


def test_a_lunch_break_and_a_closed_day(desk):
    for weekday in range(5):
        BusinessHours.objects.create(weekday=weekday, start=datetime.time(9),
                                     end=datetime.time(12))
        BusinessHours.objects.create(weekday=weekday, start=datetime.time(13),
                                     end=datetime.time(18))
    # Saturday mornings are worked too now: configured hours replace the default.
    BusinessHours.objects.create(weekday=5, start=datetime.time(9), end=datetime.time(12))
    assert sla.add_business_minutes(at(23, 11), 120) == at(23, 14)
    assert sla.business_minutes_between(at(23, 11), at(23, 14)) == 120
    assert sla.add_business_minutes(at(27, 17), 4 * 60) == at(28, 12)
    assert sla.add_business_minutes(at(28, 11), 120) == at(30, 10)


def test_a_calendar_without_any_working_time_raises_instead_of_looping():
    closed = sla.Calendar(zone=UTC, hours={})
    with pytest.raises(sla.NoBusinessTime):
        closed.add_minutes(datetime.datetime(2026, 1, 1, tzinfo=UTC), 1)


# --- policies and due times -------------------------------------------------------------

def test_due_times_count_from_creation(desk):
    row = ticket(at(27, 17), owner=desk["rep"])
    assert row.sla_policy == desk["policy"]
    assert row.first_response_due == at(30, 10)        # 1 h on Friday, 1 h on Monday
    assert row.resolution_due == at(30, 16)            # 1 h on Friday, 7 h on Monday


def test_the_tier_policy_wins_over_the_default(desk):
    gold = SlaPolicy.objects.create(name="Normal, key accounts", priority="normal",
                                    customer_tier=Account.Tier.choices[-1][0],
                                    first_response_minutes=30, resolution_minutes=240)
    key = Account.objects.create(name="Key", tier=gold.customer_tier)
    plain = Account.objects.create(name="Plain")
    assert sla.policy_for(ticket(at(23, 9), account=key)) == gold
    assert ticket(at(23, 9), account=key).first_response_due == at(23, 9, 30)
    assert sla.policy_for(ticket(at(23, 9), account=plain)) == desk["policy"]
    assert sla.policy_for(ticket(at(23, 9))) == desk["policy"]
    # An inactive tier policy no longer applies.
    gold.active = False
    gold.save()
    assert sla.policy_for(ticket(at(23, 9), account=key)) == desk["policy"]


def test_no_policy_means_no_due_times(desk):
    row = ticket(at(23, 9), priority="low")
    assert (row.sla_policy, row.first_response_due, row.resolution_due) == (None, None, None)


def test_a_priority_change_recomputes_the_due_times(desk):
    urgent = SlaPolicy.objects.create(name="Urgent", priority="urgent",
                                      first_response_minutes=15, resolution_minutes=60)
    row = ticket(at(23, 9), owner=desk["rep"])
    assert row.first_response_due == at(23, 11)
    services.update_details(row, priority="urgent", by=desk["rep"])
    row.refresh_from_db()
    assert row.sla_policy == urgent
    assert (row.first_response_due, row.resolution_due) == (at(23, 9, 15), at(23, 10))


def test_a_make_up_working_saturday_counts_with_weekday_hours(desk):
    """China works some Saturdays to bridge a Golden Week: that Saturday is a working day."""
    Holiday.objects.create(date=datetime.date(2026, 11, 28), name="调休上班", working_day=True)
    assert sla.add_business_minutes(at(27, 17), 4 * 60) == at(28, 12)
    assert sla.business_minutes_between(at(27, 17), at(30, 10)) == 60 + 9 * 60 + 60
    # The following Sunday stays closed, and a closed holiday still closes its weekday.
    Holiday.objects.create(date=datetime.date(2026, 11, 30), name="国庆节")
    assert sla.add_business_minutes(at(28, 17), 2 * 60) == datetime.datetime(
        2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def test_a_make_up_day_keeps_the_configured_weekday_hours(desk):
    for weekday in range(5):
        BusinessHours.objects.create(weekday=weekday, start=datetime.time(8, 30),
                                     end=datetime.time(17, 30))
    Holiday.objects.create(date=datetime.date(2026, 11, 29), name="Make-up Sunday",
                           working_day=True)
    assert sla.add_business_minutes(at(28, 10), 30) == at(29, 9)
    assert sla.business_minutes_between(at(29, 0), at(30, 0)) == 9 * 60


def test_working_day_is_set_on_the_holidays_page_and_the_api(desk):
    client = signed_in("acme.localhost", "admin@acme.example")
    response = client.post("/app/settings/service/holidays/",
                           {"date": "2026-11-28", "name": "Make-up day", "working_day": "on"})
    assert response.status_code == 302
    assert Holiday.objects.get(date=datetime.date(2026, 11, 28)).working_day is True
    page = client.get("/app/settings/service/holidays/").content.decode()
    assert "Working day" in page
    api = token_client("acme.localhost", admin_token(desk["tenant"]))
    listed = api.get("/api/v1/holidays/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["working_day"] for row in rows] == [True]


# --- clocks paused while waiting on the customer ---------------------------------------

def test_the_clocks_stop_while_pending_and_move_on_by_the_time_stopped(desk):
    """Paused on Monday 10:00 with the answer due at 11:00 and the solution at 17:00, resumed on
    Tuesday 10:00: nine working hours stood still, so both due times move on by nine hours."""
    row = ticket(at(23, 9), owner=desk["rep"])
    assert (row.first_response_due, row.resolution_due) == (at(23, 11), at(23, 17))
    row.status = "pending"
    assert sla.pause_or_resume(row, "open", at(23, 10)) == ["sla_paused_at"]
    assert row.sla_paused_at == at(23, 10)
    # A second waiting status (pending -> on hold) keeps the first pause.
    row.status = "on_hold"
    assert sla.pause_or_resume(row, "pending", at(23, 15)) == []
    row.status = "open"
    changed = sla.pause_or_resume(row, "on_hold", at(24, 10))
    assert set(changed) == {"sla_paused_at", "sla_paused_minutes", "first_response_due",
                            "resolution_due"}
    assert row.sla_paused_at is None
    assert row.sla_paused_minutes == 9 * 60
    assert row.first_response_due == at(24, 11)
    assert row.resolution_due == at(24, 17)


def test_a_clock_already_breached_when_paused_stays_breached(desk):
    row = ticket(at(23, 9), owner=desk["rep"])
    row.status = "pending"
    sla.pause_or_resume(row, "open", at(23, 12))      # the first response was due at 11:00
    row.status = "open"
    sla.pause_or_resume(row, "pending", at(23, 14))
    assert row.first_response_due == at(23, 11)
    assert row.resolution_due == at(24, 10)             # 17:00 plus two hours past closing
    assert row.sla_paused_minutes == 120


def test_a_priority_change_keeps_the_minutes_already_paused(desk):
    SlaPolicy.objects.create(name="High", priority="high", first_response_minutes=60,
                             resolution_minutes=240)
    row = ticket(at(23, 9), owner=desk["rep"])
    Ticket.objects.filter(pk=row.pk).update(sla_paused_minutes=90)
    row.refresh_from_db()
    services.update_details(row, priority="high", by=desk["rep"])
    row.refresh_from_db()
    assert (row.first_response_due, row.resolution_due) == (at(23, 11, 30), at(23, 14, 30))


def test_status_changes_pause_and_resume_through_the_desk(desk):
    """Through the service layer with the real clock: a ticket paused a week ago and resumed
    now has its due times moved on by the working minutes of that week."""
    row = ticket(at(23, 9), owner=desk["rep"])
    services.change_status(row, "pending", by=desk["rep"])
    row.refresh_from_db()
    assert row.sla_paused_at is not None
    week_ago = row.sla_paused_at - datetime.timedelta(days=7)
    Ticket.objects.filter(pk=row.pk).update(sla_paused_at=week_ago,
                                            resolution_due=week_ago + datetime.timedelta(hours=1))
    row.refresh_from_db()
    before = row.resolution_due
    # The customer's reply reopens the ticket and restarts the clocks.
    services.add_message(row, body="Here is the log", author_contact=None, channel="portal")
    row.refresh_from_db()
    assert row.status == "open"
    assert row.sla_paused_at is None
    assert row.sla_paused_minutes >= 5 * 9 * 60          # at least five working days
    assert row.resolution_due == sla.add_business_minutes(before, row.sla_paused_minutes)
    # Resolving pauses again; reopening resumes.
    services.change_status(row, "resolved", by=desk["rep"])
    row.refresh_from_db()
    assert row.sla_paused_at is not None
    services.change_status(row, "open", by=desk["rep"])
    row.refresh_from_db()
    assert row.sla_paused_at is None


def test_paused_tickets_are_neither_warned_escalated_nor_breaching(desk):
    from crm_apps.service import queues

    row = ticket(at(23, 9), owner=desk["rep"], team=desk["team"])
    Ticket.objects.filter(pk=row.pk).update(status="pending", sla_paused_at=at(23, 9, 30))
    assert sla_tasks.warn_before_breach(now=at(23, 10, 30)) == 0
    assert sla_tasks.escalate_breaches(now=at(23, 12)) == 0
    breaching = queues.queue("breaching", desk["rep"], now=at(23, 12))
    assert not breaching.filter(pk=row.pk).exists()
    Ticket.objects.filter(pk=row.pk).update(status="open", sla_paused_at=None)
    assert queues.queue("breaching", desk["rep"], now=at(23, 12)).filter(pk=row.pk).exists()
    assert sla_tasks.escalate_breaches(now=at(23, 12)) == 1


def test_the_ticket_page_shows_a_paused_clock(desk):
    row = ticket(at(23, 9), owner=desk["rep"], team=desk["team"])
    Ticket.objects.filter(pk=row.pk).update(status="pending", sla_paused_at=at(23, 9, 30))
    page = signed_in("acme.localhost", "rep@acme.example").get(
        f"/app/service/{row.pk}/").content.decode()
    assert page.count('data-sla="paused"') == 2
    body = token_client("acme.localhost", admin_token(desk["tenant"])).get(
        f"/api/v1/tickets/{row.pk}/").json()
    assert body["sla_paused_at"] is not None


def test_apply_policy_saves_only_the_clock_fields(desk):
    row = ticket(at(23, 9))
    Ticket.objects.filter(pk=row.pk).update(subject="Changed elsewhere")
    row.first_response_due = None
    sla.apply_policy(row)
    row.refresh_from_db()
    assert row.subject == "Changed elsewhere"
    assert row.first_response_due == at(23, 11)


# --- the warning job --------------------------------------------------------------------

def warnings(kind="ticket.sla_warning"):
    return list(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_the_warning_comes_once_within_the_window(desk):
    row = ticket(at(23, 9), owner=desk["rep"], team=desk["team"])   # answer by 11:00
    assert sla_tasks.warn_before_breach(now=at(23, 9, 59)) == 0     # 61 minutes left
    assert sla_tasks.warn_before_breach(now=at(23, 10, 30)) == 1
    assert sla_tasks.warn_before_breach(now=at(23, 10, 45)) == 0
    assert warnings() == [desk["rep"].pk]
    row.refresh_from_db()
    assert row.sla_warned_at == at(23, 10, 30)
    assert row.escalated_at is None


def test_the_window_counts_working_minutes(desk):
    """Due on Monday 10:00: on Friday 17:30 only 90 working minutes are left, not 64 hours."""
    ticket(at(27, 17), owner=desk["rep"])                           # answer by Monday 10:00
    assert sla_tasks.warn_before_breach(now=at(27, 17, 29)) == 0
    assert sla_tasks.warn_before_breach(now=at(30, 9, 1)) == 1


def test_an_unassigned_ticket_warns_the_team_lead(desk):
    ticket(at(23, 9), team=desk["team"])
    assert sla_tasks.warn_before_breach(now=at(23, 10, 30)) == 1
    assert warnings() == [desk["lead"].pk]


def test_answered_or_done_tickets_are_not_warned(desk):
    ticket(at(23, 9), owner=desk["rep"], first_responded_at=at(23, 9, 5))
    ticket(at(23, 9), owner=desk["rep"], status="resolved", resolved_at=at(23, 9, 30))
    assert sla_tasks.warn_before_breach(now=at(23, 10, 30)) == 0
    # The answered one is warned before its resolution is due (17:00) instead.
    assert sla_tasks.warn_before_breach(now=at(23, 16, 30)) == 1


# --- the escalation job -----------------------------------------------------------------

def test_a_breach_is_escalated_once_to_the_team_lead(desk):
    row = ticket(at(23, 9), owner=desk["rep"], team=desk["team"])
    assert sla_tasks.escalate_breaches(now=at(23, 10, 59)) == 0
    assert sla_tasks.escalate_breaches(now=at(23, 11, 1)) == 1
    assert sla_tasks.escalate_breaches(now=at(23, 11, 6)) == 0
    assert sla_tasks.escalate_breaches(now=at(23, 17, 1)) == 0   # resolution breach: still once
    assert warnings("ticket.sla_breach") == [desk["lead"].pk]
    row.refresh_from_db()
    assert row.escalated_at == at(23, 11, 1)
    assert row.owner == desk["rep"]   # no one to reassign to in this policy
    sent = Notification.objects.get(kind="ticket.sla_breach")
    assert row.number in sent.title
    assert sent.link == f"/app/service/{row.pk}/"


def test_the_policy_reassigns_on_a_breach_and_the_change_is_audited(desk):
    rescuer = create_user(email="rescuer@acme.example", password="test-pass-123",
                          role=SALES_REP)
    desk["policy"].escalate_to = rescuer
    desk["policy"].save()
    row = ticket(at(23, 9), owner=desk["rep"], team=desk["team"])
    assert sla_tasks.escalate_breaches(now=at(23, 11, 1)) == 1
    row.refresh_from_db()
    assert row.owner == rescuer
    assert row.team == desk["team"]
    entry = AuditEntry.objects.get(record_type="service.ticket", record_id=str(row.pk),
                                   action="updated")
    assert entry.changes["owner"] == [desk["rep"].pk, rescuer.pk]
    assert warnings("ticket.sla_breach") == [desk["lead"].pk]


def test_answered_tickets_breach_only_on_resolution(desk):
    ticket(at(23, 9), owner=desk["rep"], team=desk["team"], first_responded_at=at(23, 9, 5))
    assert sla_tasks.escalate_breaches(now=at(23, 12)) == 0
    assert sla_tasks.escalate_breaches(now=at(23, 17, 1)) == 1


def test_jobs_of_globex_never_touch_acme(desk, globex):
    row = ticket(at(23, 9), owner=desk["rep"], team=desk["team"])
    with tenant_context(globex.tenant):
        assert sla_tasks.warn_before_breach(now=at(23, 10, 30)) == 0
        assert sla_tasks.escalate_breaches(now=at(23, 12)) == 0
    row.refresh_from_db()
    assert (row.sla_warned_at, row.escalated_at) == (None, None)
    assert sla_tasks.escalate_breaches(now=at(23, 12)) == 1


def test_the_jobs_are_registered_and_scheduled_every_five_minutes():
    from core.celery import app

    app.loader.import_default_modules()
    for name in ("crm_apps.service.sla_tasks.warn_before_breach",
                 "crm_apps.service.sla_tasks.escalate_breaches"):
        assert name in app.tasks
        entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
                   if entry["task"] == name]
        assert [entry["schedule"] for entry in entries] == [300]
        assert "tenant_schemas" not in entries[0]   # fanned out to every tenant


def test_two_workers_at_once_escalate_once(committed):
    """Two runs in two connections at the same moment, on committed rows: one claims the
    ticket, the other finds it taken; one notification, one reassignment."""
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    zone = ZoneInfo(acme.time_zone or "UTC")
    with tenant_context(acme):
        rep = get_user_model().objects.get(email="rep@acme.example")
        admin = get_user_model().objects.get(email="admin@acme.example")
        team = Team.objects.create(name="SLA concurrency", lead=admin)
        policy = SlaPolicy.objects.create(name="Concurrency", priority="urgent",
                                          first_response_minutes=60, resolution_minutes=120,
                                          escalate_to=admin)
        row = ticket(at(23, 9, zone=zone), owner=rep, team=team, priority="urgent")
    now = at(23, 10, 30, zone=zone)
    barrier = threading.Barrier(2)
    results, failures = [], []

    def run():
        try:
            with tenant_context(acme):
                barrier.wait(timeout=10)
                results.append(sla_tasks.escalate_breaches(now=now))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with tenant_context(acme):
        try:
            assert failures == []
            assert sorted(results) == [0, 1]
            assert Notification.objects.filter(kind="ticket.sla_breach",
                                               link=f"/app/service/{row.pk}/").count() == 1
            row.refresh_from_db()
            assert row.owner == admin
            assert row.escalated_at == now
        finally:
            Notification.objects.filter(link=f"/app/service/{row.pk}/").delete()
            AuditEntry.objects.filter(record_type="service.ticket",
                                      record_id=str(row.pk)).delete()
            Ticket.everything.filter(pk=row.pk).delete()
            policy.delete()
            team.delete()


# --- settings pages and API -------------------------------------------------------------

PAGES = ["/app/settings/service/", "/app/settings/service/hours/",
         "/app/settings/service/holidays/"]


def test_the_settings_pages_are_for_tenant_admins_only(desk):
    period = BusinessHours.objects.create(weekday=0, start=datetime.time(9),
                                          end=datetime.time(18))
    rep = signed_in("acme.localhost", "rep@acme.example")
    admin = signed_in("acme.localhost", "admin@acme.example")
    edits = [f"/app/settings/service/policies/{desk['policy'].pk}/",
             f"/app/settings/service/hours/{period.pk}/"]
    for path in PAGES + edits:
        assert rep.get(path).status_code == 403, path
        page = admin.get(path)
        assert page.status_code == 200, path
        assert "Service desk" in page.content.decode()
    assert rep.post(f"/app/settings/service/hours/{period.pk}/delete/").status_code == 403
    assert BusinessHours.objects.filter(pk=period.pk).exists()
    assert host_client("acme.localhost").get(PAGES[0]).status_code == 302  # to the login


def test_admins_add_policies_hours_and_holidays_on_the_pages(desk):
    admin = signed_in("acme.localhost", "admin@acme.example")
    response = admin.post("/app/settings/service/", {
        "name": "Urgent", "priority": "urgent", "customer_tier": "",
        "first_response_minutes": "15", "resolution_minutes": "120",
        "warn_before_minutes": "10", "escalate_to": str(desk["lead"].pk), "active": "on"})
    assert response.status_code == 302
    assert SlaPolicy.objects.get(priority="urgent").escalate_to == desk["lead"]
    assert admin.post("/app/settings/service/hours/", {
        "weekday": "0", "start": "09:00", "end": "12:00"}).status_code == 302
    assert admin.post("/app/settings/service/holidays/", {
        "date": "2026-10-01", "name": "国庆节"}).status_code == 302
    assert Holiday.objects.get(date=datetime.date(2026, 10, 1)).name == "国庆节"
    holidays = admin.get("/app/settings/service/holidays/").content.decode()
    assert "国庆节" in holidays
    holiday = Holiday.objects.get()
    assert admin.post(f"/app/settings/service/holidays/{holiday.pk}/delete/").status_code == 302
    assert not Holiday.objects.exists()


def test_bad_settings_show_form_errors(desk):
    admin = signed_in("acme.localhost", "admin@acme.example")
    page = admin.post("/app/settings/service/hours/",
                      {"weekday": "0", "start": "18:00", "end": "09:00"})
    assert page.status_code == 200
    assert "The period must end after it starts." in page.content.decode()
    BusinessHours.objects.create(weekday=1, start=datetime.time(9), end=datetime.time(12))
    page = admin.post("/app/settings/service/hours/",
                      {"weekday": "1", "start": "11:00", "end": "14:00"})
    assert "overlaps another period" in page.content.decode()
    page = admin.post("/app/settings/service/hours/",
                      {"weekday": "9", "start": "nonsense", "end": ""})
    assert page.status_code == 200
    assert not BusinessHours.objects.filter(weekday=0).exists()
    page = admin.post("/app/settings/service/", {
        "name": "Backwards", "priority": "high", "first_response_minutes": "60",
        "resolution_minutes": "30", "warn_before_minutes": "10", "active": "on"})
    assert "cannot come before the first response" in page.content.decode()
    page = admin.post("/app/settings/service/", {
        "name": "Second", "priority": "normal", "first_response_minutes": "60",
        "resolution_minutes": "90", "warn_before_minutes": "10", "active": "on"})
    assert "already exists" in page.content.decode()
    page = admin.post("/app/settings/service/holidays/", {"date": "2026-02-30", "name": "x"})
    assert page.status_code == 200
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Acme normal"]
    assert not Holiday.objects.exists()


def token_client(host: str, token: str) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")


def test_the_api_admins_write_staff_read(desk):
    admin = token_client("acme.localhost", admin_token(desk["tenant"]))
    created = post(admin, "/api/v1/business-hours/", {"weekday": 2, "start": "09:00",
                                                      "end": "17:30"})
    assert created.status_code == 201, created.content
    bad = post(admin, "/api/v1/business-hours/", {"weekday": 3, "start": "18:00",
                                                  "end": "09:00"})
    assert bad.status_code == 400
    assert "end" in bad.json()
    bad = admin.patch(f"/api/v1/business-hours/{created.json()['id']}/",
                      json.dumps({"end": "08:00"}), content_type="application/json")
    assert bad.status_code == 400
    assert post(admin, "/api/v1/sla-policies/", {
        "name": "Backwards", "priority": "high", "first_response_minutes": 60,
        "resolution_minutes": 30}).status_code == 400
    assert post(admin, "/api/v1/sla-policies/", {
        "name": "Twin", "priority": "normal", "first_response_minutes": 60,
        "resolution_minutes": 90}).status_code == 400
    assert admin.post("/api/v1/holidays/", "{not json",
                      content_type="application/json").status_code == 400
    assert post(admin, "/api/v1/holidays/", {"date": "2026-10-01",
                                             "name": "National Day"}).status_code == 201
    assert post(admin, "/api/v1/holidays/", {"date": "2026-10-01",
                                             "name": "Again"}).status_code == 400
    assert admin.get("/api/v1/holidays/?year=2026").json()["results"][0]["name"] == (
        "National Day")
    assert admin.get("/api/v1/holidays/?year=abc").status_code == 400
    assert admin.get("/api/v1/business-hours/?weekday=2").json()["results"][0]["end"] == (
        "17:30:00")

    rep = signed_in("acme.localhost", "rep@acme.example")
    listed = rep.get("/api/v1/sla-policies/")
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["Acme normal"]
    assert post(rep, "/api/v1/holidays/", {"date": "2026-10-02", "name": "x"}).status_code == 403
    assert rep.delete(f"/api/v1/sla-policies/{desk['policy'].pk}/").status_code == 403
    assert SlaPolicy.objects.filter(pk=desk["policy"].pk).exists()


def test_globex_cannot_see_or_change_acme_settings(desk, globex):
    Holiday.objects.create(date=datetime.date(2026, 10, 1), name="Acme's holiday")
    policy = desk["policy"]
    globex_admin = token_client(globex.host, admin_token(globex.tenant))
    assert globex_admin.get("/api/v1/sla-policies/").json()["results"] == []
    assert globex_admin.get("/api/v1/holidays/").json()["results"] == []
    assert globex_admin.get(f"/api/v1/sla-policies/{policy.pk}/").status_code == 404
    assert globex_admin.delete(f"/api/v1/sla-policies/{policy.pk}/").status_code == 404
    page = signed_in(globex.host, globex.admin_email).get("/app/settings/service/")
    assert page.status_code == 200
    assert "Acme normal" not in page.content.decode()
    assert signed_in(globex.host, globex.admin_email).post(
        f"/app/settings/service/policies/{policy.pk}/delete/").status_code == 404
    with tenant_context(desk["tenant"]):  # the requests left the connection on globex
        assert SlaPolicy.objects.filter(pk=policy.pk).exists()
