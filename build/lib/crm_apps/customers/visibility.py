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


def colleague_ids(user) -> set[int]:
    """The user and every member or lead of their teams (read once per request)."""
    cached = getattr(user, "_colleague_ids", None)
    if cached is None:
        from django.contrib.auth import get_user_model

        teams = team_ids(user)
        cached = {user.pk}
        if teams:
            cached |= set(get_user_model().objects.filter(
                Q(teams__in=teams) | Q(teams_led__in=teams)).values_list("pk", flat=True))
        user._colleague_ids = cached
    return cached


def visible_filter(user) -> Q | None:
    """A filter for the records ``user`` may see; None means all, Q(pk__in=[]) none.

    Owned by the user or a colleague (member or lead of one of their teams), or assigned to
    one of their teams. Written on the record's own columns with lists of ids, not as joins
    through team membership: an OR across joins cannot use an index, and made every count of
    a rep's list read the whole table; these two lists are an index scan each.
    """
    roles = roles_of(user)
    if roles & SEES_ALL:
        return None
    if roles & {MANAGER, SALES_REP}:
        return Q(owner__in=colleague_ids(user)) | Q(team__in=team_ids(user))
    return Q(pk__in=[])


def visible(queryset, user):
    """``queryset`` narrowed to what ``user`` may see."""
    rule = visible_filter(user)
    if rule is None:
        return queryset
    # The rule joins nothing, so no row repeats and counts and pages stay exact.
    return queryset.filter(rule)
