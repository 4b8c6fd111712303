"""Storing statements: compute (or recompute) a rep's statement for a period, and refresh the
drafts of the previous and current periods. The arithmetic is in crm_apps.commissions.calculation.

Only drafts (and rejected statements, which become drafts again) are recomputed, and their
lines are replaced; a submitted statement waits for its decision and an approved one is frozen
for good.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as
from crm_apps.commissions import calculation
from crm_apps.commissions.models import (
    CommissionPlan,
    CommissionStatement,
    PlanMembership,
    StatementLine,
)
from crm_apps.commissions.plans import membership_for
from crm_apps.forecast.periods import Period, containing

Status = CommissionStatement.Status
RECOMPUTABLE = {Status.DRAFT, Status.REJECTED}


class StatementError(Exception):
    """A statement that cannot be computed (the message says why)."""


class StatementFrozen(StatementError):
    """The statement is submitted or approved: its numbers no longer change."""


def plan_for(rep, period: Period) -> CommissionPlan | None:
    """The active plan that governs ``rep``'s ``period``, if any."""
    membership = membership_for(rep.pk, period)
    if membership is None or not membership.plan.is_active:
        return None
    return membership.plan


def _store(statement: CommissionStatement, plan: CommissionPlan, period: Period) -> None:
    result = calculation.compute(statement.rep, plan, period)
    statement.plan, statement.plan_name = plan, plan.name
    statement.period_kind, statement.period_start = period.kind, period.start
    statement.period_end = period.end - timedelta(days=1)
    statement.currency = plan.currency
    statement.revenue, statement.commission = result.revenue, result.commission
    statement.quota, statement.attainment = result.quota, result.attainment
    statement.status, statement.computed_at = Status.DRAFT, timezone.now()
    # A rejected statement starts over as a draft; the decision stays in its history.
    statement.submitted_at = statement.submitted_by = None
    statement.decided_at = statement.decided_by = None
    statement.save()
    statement.lines.all().delete()
    StatementLine.objects.bulk_create(
        StatementLine(statement=statement, position=index, order_id=line.order_id,
                      order_number=line.order_number, order_date=line.order_date,
                      description=line.description, category=line.category,
                      quantity=line.quantity, amount=line.amount, rate=line.rate,
                      basis=line.basis, commission=line.commission)
        for index, line in enumerate(result.lines))


def compute_statement(rep, period: Period, *, acting_user=None) -> CommissionStatement:
    """Create or recompute ``rep``'s statement for ``period`` on the plan that governs it.
    Raises StatementError without a plan, StatementFrozen when it is submitted or approved."""
    plan = plan_for(rep, period)
    if plan is None:
        raise StatementError(_("This rep is on no active commission plan in that period."))
    with acting_as(acting_user), transaction.atomic():
        statement = (CommissionStatement.objects.select_for_update()
                     .filter(rep=rep, period_start=period.start).first())
        if statement is None:
            try:
                with transaction.atomic():
                    statement = CommissionStatement.objects.create(
                        rep=rep, plan=plan, plan_name=plan.name, period_kind=period.kind,
                        period_start=period.start, period_end=period.end - timedelta(days=1),
                        currency=plan.currency)
            except IntegrityError:  # made meanwhile by another run: take that one
                statement = CommissionStatement.objects.select_for_update().get(
                    rep=rep, period_start=period.start)
        if statement.status not in RECOMPUTABLE:
            raise StatementFrozen(_("A submitted or approved statement is not recomputed."))
        _store(statement, plan, period)
    return statement


def recompute(statement: CommissionStatement, *, acting_user=None) -> CommissionStatement:
    """Recompute a draft (or rejected) statement for its own period, replacing its lines."""
    period = Period(statement.period_kind, statement.period_start)
    with acting_as(acting_user), transaction.atomic():
        locked = CommissionStatement.objects.select_for_update().select_related("rep").get(
            pk=statement.pk)
        if locked.status not in RECOMPUTABLE:
            raise StatementFrozen(_("A submitted or approved statement is not recomputed."))
        plan = plan_for(locked.rep, period) or locked.plan
        if plan is None:
            raise StatementError(_("The plan of this statement no longer exists."))
        _store(locked, plan, period)
    return locked


def refresh(day=None, *, include_previous: bool = True, acting_user=None) -> dict[str, int]:
    """Compute the statements of every rep on an active plan for the period containing
    ``day`` (default: today in the tenant's zone) and, with ``include_previous``, the period
    before. Statements already submitted or approved are left alone."""
    day = day or timezone.localdate()
    done = {"computed": 0, "skipped": 0}
    seen = set()
    memberships = PlanMembership.objects.filter(plan__is_active=True).select_related(
        "rep", "plan")
    for membership in memberships:
        current = containing(day, membership.plan.period_kind)
        for period in ([current.shifted(-1), current] if include_previous else [current]):
            if (membership.rep_id, period.start) in seen or not membership.rep.is_active:
                continue
            governing = membership_for(membership.rep_id, period)
            if governing is None or governing.pk != membership.pk:
                continue
            seen.add((membership.rep_id, period.start))
            try:
                compute_statement(membership.rep, period, acting_user=acting_user)
                done["computed"] += 1
            except StatementFrozen:
                done["skipped"] += 1
    return done
