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

    @classmethod
    def load(cls) -> "Calendar":
        """The current tenant's calendar, read once (a job reuses it for every ticket)."""
        hours: dict[int, list] = {}
        for weekday, start, end in BusinessHours.objects.order_by(
                "weekday", "start").values_list("weekday", "start", "end"):
            hours.setdefault(weekday, []).append((start, end))
        return cls(zone=tenant_zone(), hours=hours or DEFAULT_HOURS,
                   holidays=frozenset(Holiday.objects.values_list("date", flat=True)))

    def periods_of(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The day's working periods as UTC moments (so a DST change counts real minutes)."""
        if day in self.holidays:
            return []
        return [(self._moment(day, start), self._moment(day, end))
                for start, end in self.hours.get(day.weekday(), [])]

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

    Called when a ticket is opened and when its priority changes."""
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due = ticket.resolution_due = None
    else:
        calendar = calendar or Calendar.load()
        ticket.first_response_due = calendar.add_minutes(ticket.created,
                                                         policy.first_response_minutes)
        ticket.resolution_due = calendar.add_minutes(ticket.created, policy.resolution_minutes)
    if ticket.pk:
        type(ticket).objects.filter(pk=ticket.pk).update(
            sla_policy=policy, first_response_due=ticket.first_response_due,
            resolution_due=ticket.resolution_due)
    return policy
