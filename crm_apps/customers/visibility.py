"""Who sees which customer records: one rule for lists, detail, search, API, exports, counts.

- tenant admin, service agent, marketer: every record (service and marketing work across
  the whole customer base);
- manager: records owned by, or assigned to, the teams they lead or belong to, and their own;
- sales rep: their own records and those of their teams.
Everyone else (portal customers, anonymous) sees nothing through these channels.
"""

from django.db.models import Q

from core.permissions import roles_of
from core.roles import MANAGER, MARKETER, SALES_REP, SERVICE_AGENT, TENANT_ADMIN

SEES_ALL = {TENANT_ADMIN, SERVICE_AGENT, MARKETER}


def team_ids(user) -> set[int]:
    """The teams a user belongs to or leads (read once per request)."""
    cached = getattr(user, "_team_ids", None)
    if cached is None:
        from crm_apps.customers.models import Team

        cached = set(Team.objects.filter(Q(members=user) | Q(lead=user))
                     .values_list("pk", flat=True))
        user._team_ids = cached
    return cached


def visible_filter(user) -> Q | None:
    """A filter for the records ``user`` may see; None means all, Q(pk__in=[]) none."""
    roles = roles_of(user)
    if roles & SEES_ALL:
        return None
    if roles & {MANAGER, SALES_REP}:
        teams = team_ids(user)
        owners_in_teams = Q(owner__teams__in=teams) | Q(owner__teams_led__in=teams)
        return Q(owner=user) | Q(team__in=teams) | owners_in_teams
    return Q(pk__in=[])


def visible(queryset, user):
    """``queryset`` narrowed to what ``user`` may see."""
    rule = visible_filter(user)
    if rule is None:
        return queryset
    # Team joins can repeat a row; filter by id to keep counts and pagination exact.
    return queryset.filter(pk__in=queryset.model.everything.filter(rule).values("pk"))
