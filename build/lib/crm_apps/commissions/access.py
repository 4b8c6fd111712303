"""Who sees and decides which commission statements.

Pay is private: a rep sees only their own statements. A team lead also sees the statements of
their team's members; managers and tenant admins see every statement. Approving or rejecting
takes a manager, a tenant admin or the rep's team lead, and never the rep themselves.
"""

from django.db.models import Q
from django.http import Http404

from core.permissions import has_role, roles_of
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.commissions.models import CommissionStatement
from crm_apps.customers.models import Team

DECIDERS = {TENANT_ADMIN, MANAGER}


def led_member_ids(user) -> set[int]:
    """Members of the teams ``user`` leads (read once per request)."""
    cached = getattr(user, "_led_member_ids", None)
    if cached is None:
        cached = set(Team.objects.filter(lead=user).values_list("members", flat=True)) - {None}
        user._led_member_ids = cached
    return cached


def sees_every_statement(user) -> bool:
    return bool(roles_of(user) & DECIDERS)


def visible_statements(queryset, user):
    """``queryset`` narrowed to the statements ``user`` may see."""
    if sees_every_statement(user):
        return queryset
    return queryset.filter(Q(rep=user) | Q(rep__in=led_member_ids(user)))


def access_statement(user, pk) -> CommissionStatement:
    """The statement if ``user`` may see it; the same 404 for missing and not theirs."""
    statement = visible_statements(CommissionStatement.objects.all(), user).filter(
        pk=pk).select_related("rep", "plan", "decided_by", "submitted_by").first()
    if statement is None:
        raise Http404
    return statement


def may_decide(user, statement: CommissionStatement) -> bool:
    """Approve or reject: a manager, a tenant admin or the rep's team lead, not the rep."""
    if user.pk == statement.rep_id:
        return False
    return sees_every_statement(user) or statement.rep_id in led_member_ids(user)


def may_submit(user, statement: CommissionStatement) -> bool:
    return user.pk == statement.rep_id or may_decide(user, statement)


def may_manage_plans(user) -> bool:
    return has_role(user, TENANT_ADMIN)


def may_generate(user) -> bool:
    """Compute every rep's statement of a period at once."""
    return has_role(user, *DECIDERS)
