"""Periodic SLA jobs of a tenant: warn before a breach, escalate a breach, each once."""

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Team
from crm_apps.service import services
from crm_apps.service.models import SlaPolicy, Ticket
from crm_apps.service.sla import Calendar
from crm_apps.service.sla_notifications import SLA_BREACH, SLA_WARNING
from realtime.services import notify

logger = logging.getLogger(__name__)
BATCH = 200
DONE = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def running_clocks():
    """Tickets whose clocks still run: not done, not merged away, not in the bin, not paused
    while waiting on the customer or on hold."""
    return Ticket.objects.exclude(status__in=DONE).filter(merged_into__isnull=True,
                                                          sla_paused_at__isnull=True)


def due_between(after: datetime.datetime | None, until: datetime.datetime) -> Q:
    """A running clock (first response not given, or not resolved) due in (after, until]."""
    first = Q(first_responded_at__isnull=True, first_response_due__lte=until)
    resolution = Q(resolved_at__isnull=True, resolution_due__lte=until)
    if after is not None:
        first &= Q(first_response_due__gt=after)
        resolution &= Q(resolution_due__gt=after)
    return first | resolution


def link_of(ticket: Ticket) -> str:
    try:
        return reverse("service:ticket-detail", args=[ticket.pk])
    except NoReverseMatch:  # the ticket pages are not mounted (an API-only deployment)
        return ""


def team_leads(ticket: Ticket) -> list[int]:
    """The lead of the ticket's team; without a team, the leads of the assignee's teams."""
    if ticket.team_id:
        teams = Team.objects.filter(pk=ticket.team_id)
    elif ticket.owner_id:
        teams = Team.objects.filter(members=ticket.owner_id)
    else:
        return []
    return sorted(set(teams.exclude(lead__isnull=True).values_list("lead_id", flat=True)))


def running_dues(ticket: Ticket) -> list[datetime.datetime]:
    """The due times of the ticket's clocks that still run."""
    dues = []
    if ticket.first_responded_at is None and ticket.first_response_due:
        dues.append(ticket.first_response_due)
    if ticket.resolved_at is None and ticket.resolution_due:
        dues.append(ticket.resolution_due)
    return dues


def _warn(ticket: Ticket, now: datetime.datetime) -> None:
    recipients = [ticket.owner_id] if ticket.owner_id else team_leads(ticket)
    due = min(running_dues(ticket))
    title = format_lazy(_("{number} is about to miss its SLA"), number=ticket.number)
    body = format_lazy(_("“{subject}” is due at {due}."), subject=ticket.subject,
                       due=timezone.localtime(due).strftime("%Y-%m-%d %H:%M"))
    notify(recipients, kind=SLA_WARNING.code, title=title, body=body, link=link_of(ticket))


def warn_before_breach(now: datetime.datetime | None = None) -> int:
    """Warn once about each ticket whose due time falls within its policy's warning window
    (in working minutes). Rows are claimed with SKIP LOCKED and marked in one transaction."""
    now = now or timezone.now()
    calendar = Calendar.load()
    warned = 0
    windows = set(SlaPolicy.objects.values_list("warn_before_minutes", flat=True))
    with timezone.override(calendar.zone):
        for minutes in sorted(windows):
            horizon = calendar.add_minutes(now, minutes)
            candidates = (running_clocks()
                          .filter(sla_warned_at__isnull=True, escalated_at__isnull=True,
                                  sla_policy__warn_before_minutes=minutes)
                          .filter(due_between(now, horizon)))
            while True:
                with transaction.atomic():
                    batch = list(candidates.select_for_update(skip_locked=True, of=("self",))
                                 .order_by("id")[:BATCH])
                    if not batch:
                        break
                    for ticket in batch:
                        _warn(ticket, now)
                    Ticket.objects.filter(pk__in=[ticket.pk for ticket in batch]).update(
                        sla_warned_at=now)
                    warned += len(batch)
    return warned


def _reassign(ticket: Ticket, user) -> None:
    """Hand the ticket to the policy's escalation user through the audited assignment."""
    try:
        services.assign(ticket, owner=user, team=ticket.team, by=None)
    except services.TicketError:
        # The user is no longer staff: the team lead was told, the ticket stays where it is.
        logger.warning("SLA escalation of %s: %s cannot take tickets", ticket.number, user)


def _escalate(ticket: Ticket, now: datetime.datetime) -> None:
    first_missed = (ticket.first_responded_at is None and ticket.first_response_due
                    and ticket.first_response_due <= now)
    what = _("a first response") if first_missed else _("a resolution")
    title = format_lazy(_("{number} missed its SLA"), number=ticket.number)
    body = format_lazy(_("“{subject}” needed {what} by {due}."), subject=ticket.subject,
                       what=what, due=timezone.localtime(
                           ticket.first_response_due if first_missed else ticket.resolution_due
                       ).strftime("%Y-%m-%d %H:%M"))
    notify(team_leads(ticket), kind=SLA_BREACH.code, title=title, body=body,
           link=link_of(ticket))
    policy = ticket.sla_policy
    target = policy.escalate_to if policy is not None else None
    if target is not None and target.is_active and target.pk != ticket.owner_id:
        _reassign(ticket, target)


def escalate_breaches(now: datetime.datetime | None = None) -> int:
    """Escalate once each ticket past a due time: tell the team lead and, when the policy says
    so, reassign it. A ticket is claimed by a conditional UPDATE (escalated_at still empty) in
    the transaction doing the escalation, so a second worker finds nothing to claim."""
    now = now or timezone.now()
    escalated = 0
    pending = list(running_clocks().filter(escalated_at__isnull=True)
                   .filter(due_between(None, now)).order_by("id")
                   .values_list("pk", flat=True))
    with timezone.override(Calendar.load().zone):
        for pk in pending:
            with transaction.atomic():
                claimed = (running_clocks().filter(pk=pk, escalated_at__isnull=True)
                           .filter(due_between(None, now)).update(escalated_at=now))
                if not claimed:  # another worker escalated it, or it was answered meanwhile
                    continue
                ticket = Ticket.objects.select_related("sla_policy__escalate_to").get(pk=pk)
                _escalate(ticket, now)
                escalated += 1
    return escalated


@shared_task(name="crm_apps.service.sla_tasks.warn_before_breach")
def warn_before_breach_task() -> int:
    return warn_before_breach()


@shared_task(name="crm_apps.service.sla_tasks.escalate_breaches")
def escalate_breaches_task() -> int:
    return escalate_breaches()

