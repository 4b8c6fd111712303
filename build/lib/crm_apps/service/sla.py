"""SLA clocks: business-time arithmetic in the tenant's zone and the due times of tickets."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Value, When

from core.zones import tenant_zone
from crm_apps.service.desk_models import BusinessHours, Holiday, SlaPolicy

UTC = datetime.UTC
# When a tenant has configured no working hours: Monday to Friday, 09:00 to 18:00.
DEFAULT_PERIOD = (datetime.time(9, 0), datetime.time(18, 0))
DEFAULT_HOURS = {weekday: [DEFAULT_PERIOD] for weekday in range(5)}
# A calendar whose every day is closed (all holidays) must not loop for ever: ten years on.
MAX_DAYS = 3660


class NoBusinessTime(ValueError):
    """The calendar has no working period in the years ahead."""


@dataclass
class Calendar:
    """The working periods per weekday (Monday = 0) and the closed dates of a tenant."""

    zone: datetime.tzinfo
    hours: dict[int, list[tuple[datetime.time, datetime.time]]]
    holidays: frozenset = field(default_factory=frozenset)
    # Make-up working days: closed weekdays the desk works, with a normal weekday's hours.
    working_days: frozenset = field(default_factory=frozenset)

    @classmethod
    def load(cls) -> "Calendar":
        """The current tenant's calendar, read once (a job reuses it for every ticket)."""
        hours: dict[int, list] = {}
        for weekday, start, end in BusinessHours.objects.order_by(
                "weekday", "start").values_list("weekday", "start", "end"):
            hours.setdefault(weekday, []).append((start, end))
        closed, working = set(), set()
        for date, working_day in Holiday.objects.values_list("date", "working_day"):
            (working if working_day else closed).add(date)
        return cls(zone=tenant_zone(), hours=hours or DEFAULT_HOURS,
                   holidays=frozenset(closed), working_days=frozenset(working))

    def weekday_hours(self) -> list[tuple[datetime.time, datetime.time]]:
        """The hours a make-up working day keeps: the first of Monday to Friday that has any."""
        for weekday in range(7):
            if self.hours.get(weekday):
                return self.hours[weekday]
        return []

    def periods_of(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The day's working periods as UTC moments (so a DST change counts real minutes)."""
        if day in self.holidays:
            return []
        hours = self.hours.get(day.weekday(), [])
        if day in self.working_days:
            hours = hours or self.weekday_hours()
        return [(self._moment(day, start), self._moment(day, end)) for start, end in hours]

    def _moment(self, day, time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=self.zone).astimezone(UTC)

    def _local_day(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.zone).date()

    def add_minutes(self, start: datetime.datetime, minutes: float) -> datetime.datetime:
        """The moment ``minutes`` of working time after ``start``."""
        if minutes <= 0:
            return start
        remaining = datetime.timedelta(minutes=minutes)
        cursor = start.astimezone(UTC)
        day = self._local_day(start)
        for _ in range(MAX_DAYS):
            for opens, closes in self.periods_of(day):
                begin = max(opens, cursor)
                if begin >= closes:
                    continue
                if remaining <= closes - begin:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= closes - begin
            day += datetime.timedelta(days=1)
        raise NoBusinessTime("no working hours in the next ten years")

    def minutes_between(self, first: datetime.datetime, second: datetime.datetime) -> float:
        """Working minutes from ``first`` to ``second`` (negative when ``second`` is earlier)."""
        if second < first:
            return -self.minutes_between(second, first)
        total = datetime.timedelta()
        day = self._local_day(first)
        last = self._local_day(second)
        while day <= last:
            for opens, closes in self.periods_of(day):
                overlap = min(closes, second) - max(opens, first)
                if overlap > datetime.timedelta():
                    total += overlap
            day += datetime.timedelta(days=1)
        return total.total_seconds() / 60


def add_business_minutes(start: datetime.datetime, minutes: float, *,
                         calendar: Calendar | None = None) -> datetime.datetime:
    """``start`` plus ``minutes`` of the current tenant's working time."""
    return (calendar or Calendar.load()).add_minutes(start, minutes)


def business_minutes_between(first: datetime.datetime, second: datetime.datetime, *,
                             calendar: Calendar | None = None) -> float:
    """The current tenant's working minutes between two moments."""
    return (calendar or Calendar.load()).minutes_between(first, second)


def policy_for(ticket) -> SlaPolicy | None:
    """The active policy of the ticket's priority: the one of its account's tier when there is
    one, else the one for any tier."""
    tier = ticket.account.tier if ticket.account_id else ""
    tiers = [tier, ""] if tier else [""]
    return (SlaPolicy.objects.filter(active=True, priority=ticket.priority,
                                     customer_tier__in=tiers)
            .order_by(Case(When(customer_tier="", then=Value(1)), default=Value(0),
                           output_field=IntegerField()))
            .first())


def apply_policy(ticket, *, calendar: Calendar | None = None) -> SlaPolicy | None:
    """Set the ticket's policy and due times counted from its creation; saves only them.

    Called when a ticket is opened and when its priority changes. Minutes the clocks were
    already paused count on top of the targets."""
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due = ticket.resolution_due = None
    else:
        calendar = calendar or Calendar.load()
        paused = ticket.sla_paused_minutes or 0
        ticket.first_response_due = calendar.add_minutes(
            ticket.created, policy.first_response_minutes + paused)
        ticket.resolution_due = calendar.add_minutes(ticket.created,
                                                     policy.resolution_minutes + paused)
    if ticket.pk:
        type(ticket).objects.filter(pk=ticket.pk).update(
            sla_policy=policy, first_response_due=ticket.first_response_due,
            resolution_due=ticket.resolution_due)
    return policy


# While a ticket waits on the customer, is on hold or is resolved, its clocks stand still.
PAUSED_STATUSES = frozenset({"pending", "on_hold", "resolved", "closed"})


def pause_or_resume(ticket, old_status: str, now: datetime.datetime, *,
                    calendar: Calendar | None = None) -> list[str]:
    """Stop the clocks when ``ticket`` (a locked row, its status already changed) enters a
    waiting status; on leaving one, move the running due times on by the working minutes
    spent stopped. Returns the fields changed, for the caller's save."""
    paused_before, paused_now = old_status in PAUSED_STATUSES, ticket.status in PAUSED_STATUSES
    if paused_now and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        return ["sla_paused_at"]
    if paused_now or ticket.sla_paused_at is None or not paused_before:
        return []
    calendar = calendar or Calendar.load()
    minutes = round(calendar.minutes_between(ticket.sla_paused_at, now))
    paused_at, ticket.sla_paused_at = ticket.sla_paused_at, None
    ticket.sla_paused_minutes += minutes
    fields = ["sla_paused_at", "sla_paused_minutes"]
    # A clock already breached when it stopped stays breached: only due times still ahead
    # at the pause move on.
    if (ticket.first_responded_at is None and ticket.first_response_due
            and ticket.first_response_due > paused_at):
        ticket.first_response_due = calendar.add_minutes(ticket.first_response_due, minutes)
        fields.append("first_response_due")
    if (ticket.resolved_at is None and ticket.resolution_due
            and ticket.resolution_due > paused_at):
        ticket.resolution_due = calendar.add_minutes(ticket.resolution_due, minutes)
        fields.append("resolution_due")
    return fields
