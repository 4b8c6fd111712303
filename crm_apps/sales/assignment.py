"""Giving a lead an owner by the tenant's assignment rules, and telling the new owner."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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


def announce(lead) -> None:
    """A live notification to the lead's owner, linking to the lead's page."""
    if lead.owner_id is None:
        return
    notify([lead.owner], kind=LEAD_ASSIGNED.code,
           title=format_lazy(_("New lead for you: {name}"), name=str(lead) or lead.pk),
           body=lead.company,
           link=reverse("sales-leads:lead-detail", args=[lead.pk]))
