"""Giving a new ticket an assignee by the tenant's rules: in turn, or the least loaded."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from crm_apps.sales.assignment import next_in_rotation
from crm_apps.service.desk_models import TicketAssignmentRule

Method = TicketAssignmentRule.Method
DONE = ("resolved", "closed")


def open_load(team) -> dict[int, int]:
    """Open tickets per active member of ``team`` (members without any count 0)."""
    from crm_apps.service.models import Ticket

    members = list(get_user_model().objects.filter(teams=team, is_active=True)
                   .values_list("pk", flat=True))
    load = dict.fromkeys(members, 0)
    rows = (Ticket.objects.filter(owner__in=members).exclude(status__in=DONE)
            .values("owner").annotate(n=Count("id")))
    load.update({row["owner"]: row["n"] for row in rows})
    return load


def pick(ticket):
    """(owner, team, rule) from the first active rule matching ``ticket`` whose team has an
    active member, or (None, None, None): the ticket stays unassigned."""
    with transaction.atomic():
        for rule in TicketAssignmentRule.objects.filter(active=True).order_by("position", "pk"):
            if not rule.matches(ticket):
                continue
            # Locked so two tickets opened at the same moment do not go to the same member
            # (round robin) or both to the one who was least loaded.
            locked = TicketAssignmentRule.objects.select_for_update().get(pk=rule.pk)
            if locked.method == Method.LEAST_LOADED:
                load = open_load(locked.team)
                owner = (get_user_model().objects.get(pk=min(load, key=lambda pk: (load[pk], pk)))
                         if load else None)
            else:
                owner = next_in_rotation(locked)
            if owner is None:
                continue  # a team with nobody active: the next rule may do better
            locked.last_assigned = owner
            locked.save(update_fields=["last_assigned"])
            return owner, locked.team, locked
    return None, None, None


def assign_new(ticket):
    """Give a new ticket the assignee and team its rules choose; returns the rule or None."""
    owner, team, rule = pick(ticket)
    if rule is None:
        return None
    ticket.owner, ticket.team = owner, team
    ticket.save(update_fields=["owner", "team", "updated"])
    return rule
