"""Giving a lead an owner by the tenant's assignment rules, and telling the new owner."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from realtime import kinds
from realtime.services import notify

LEAD_ASSIGNED = kinds.register("lead.assigned", _("Leads assigned to me"), audience=kinds.STAFF)


def next_in_rotation(rule):
    """The team member after the one who got the previous lead (by id, wrapping round).

    Call inside a transaction holding the rule row locked, so two leads created at the same
    moment cannot both go to the same member.
    """
    team = rule.team
    members = list(get_user_model().objects.filter(teams=team, is_active=True)
                   .order_by("pk").values_list("pk", flat=True))
    if not members:
        return None
    last = rule.last_assigned_id
    following = [pk for pk in members if last is not None and pk > last]
    return get_user_model().objects.get(pk=(following or members)[0])


def owner_by_rules(lead):
    """(owner, team, rule) from the first active rule matching ``lead``, or (None, None, None)."""
    from crm_apps.sales.models import AssignmentRule

    with transaction.atomic():
        for rule in AssignmentRule.objects.filter(active=True).order_by("position", "pk"):
            if not rule.matches(lead):
                continue
            if rule.method == AssignmentRule.Method.TERRITORY_OWNER:
                if rule.user is not None and rule.user.is_active:
                    return rule.user, None, rule
                continue
            locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
            owner = next_in_rotation(locked)
            if owner is None:
                continue  # a team with nobody active: the next rule may do better
            locked.last_assigned = owner
            locked.save(update_fields=["last_assigned"])
            return owner, locked.team, locked
    return None, None, None


def assign_by_rules(lead, *, notify_owner: bool = True):
    """Give ``lead`` the owner (and team) its rules choose; returns the rule used, or None."""
    owner, team, rule = owner_by_rules(lead)
    if rule is None:
        return None
    lead.owner = owner
    fields = ["owner", "updated"]
    if team is not None:
        lead.team = team
        fields.append("team")
    lead.save(update_fields=fields)
    if notify_owner:
        announce(lead)
    return rule


def assign_in_bulk(leads) -> list:
    """Owners (and teams) for many new, unsaved leads from one read of the rules: a batch
    costs a few queries, not a rule query per lead. Each lead gets what it would get if the
    leads were created one after another (round robin continues member by member).
    Returns the leads a rule gave an owner to."""
    from crm_apps.customers.models import Team
    from crm_apps.sales.models import AssignmentRule

    leads = [lead for lead in leads if lead.owner_id is None]
    if not leads:
        return []
    rules = list(AssignmentRule.objects.filter(active=True).select_related("user")
                 .order_by("position", "pk"))
    rotating = [rule for rule in rules if rule.method == AssignmentRule.Method.ROUND_ROBIN]
    members: dict[int, list[int]] = {}
    if rotating:
        # Locked, so leads created meanwhile continue the rotation after this batch.
        last = dict(AssignmentRule.objects.select_for_update()
                    .filter(pk__in=[rule.pk for rule in rotating])
                    .values_list("pk", "last_assigned_id"))
        for rule in rotating:
            rule.last_assigned_id = last.get(rule.pk)
        membership = Team.members.through.objects.filter(
            team_id__in={rule.team_id for rule in rotating}, user__is_active=True)
        for team, user in membership.order_by("user_id").values_list("team_id", "user_id"):
            members.setdefault(team, []).append(user)
    assigned, moved = [], set()
    for lead in leads:
        for rule in rules:
            if not rule.matches(lead):
                continue
            if rule.method == AssignmentRule.Method.TERRITORY_OWNER:
                if rule.user is not None and rule.user.is_active:
                    lead.owner_id = rule.user_id
                    assigned.append(lead)
                    break
                continue
            team = members.get(rule.team_id)
            if not team:
                continue  # a team with nobody active: the next rule may do better
            following = [pk for pk in team
                         if rule.last_assigned_id is not None and pk > rule.last_assigned_id]
            lead.owner_id = rule.last_assigned_id = (following or team)[0]
            lead.team_id = rule.team_id
            moved.add(rule)
            assigned.append(lead)
            break
    for rule in moved:
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=rule.last_assigned_id)
    return assigned


def announce_in_bulk(leads) -> None:
    """One notification per new owner for a batch of leads the rules gave them."""
    counts: dict[int, int] = {}
    for lead in leads:
        counts[lead.owner_id] = counts.get(lead.owner_id, 0) + 1
    for owner in get_user_model().objects.filter(pk__in=counts):
        count = counts[owner.pk]
        notify([owner], kind=LEAD_ASSIGNED.code,
               title=format_lazy(ngettext_lazy("{count} new lead for you",
                                                "{count} new leads for you", count),
                                 count=count),
               body="", link=f"{reverse('sales-leads:lead-list')}?owner={owner.pk}")


def announce(lead) -> None:
    """A live notification to the lead's owner, linking to the lead's page."""
    if lead.owner_id is None:
        return
    notify([lead.owner], kind=LEAD_ASSIGNED.code,
           title=format_lazy(_("New lead for you: {name}"), name=str(lead) or lead.pk),
           body=lead.company,
           link=reverse("sales-leads:lead-detail", args=[lead.pk]))
