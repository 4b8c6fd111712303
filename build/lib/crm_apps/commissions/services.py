"""The approval of commission statements: submit, approve (frozen for good) or reject with a
comment, with a notification to the people concerned."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as
from core.roles import MANAGER
from crm_apps.commissions import access
from crm_apps.commissions.models import CommissionStatement
from crm_apps.commissions.notifications import STATEMENT_DECIDED, STATEMENT_SUBMITTED
from crm_apps.customers.models import Team
from realtime.services import notify

Status = CommissionStatement.Status


class DecisionError(Exception):
    """The statement is not in a state that allows this step (answered 409)."""


class NotAllowed(Exception):
    """The user may see the statement but not take this step (answered 403)."""


class CommentRequired(ValueError):
    """A rejection needs a comment saying why (answered 400)."""


def link_of(statement: CommissionStatement) -> str:
    return reverse("commissions:detail", args=[statement.pk])


def _locked(statement: CommissionStatement) -> CommissionStatement:
    return CommissionStatement.objects.select_for_update().select_related("rep").get(
        pk=statement.pk)


def _approvers(statement: CommissionStatement) -> list[int]:
    """Who is told that a statement waits: the rep's team leads, else the managers."""
    leads = set(Team.objects.filter(members=statement.rep_id, lead__isnull=False)
                .values_list("lead", flat=True))
    if not leads:
        leads = set(get_user_model().objects.filter(groups__name=MANAGER, is_active=True)
                    .values_list("pk", flat=True))
    return sorted(leads - {statement.rep_id})


def submit(statement: CommissionStatement, *, acting_user) -> CommissionStatement:
    """Send a draft for approval (the rep, or someone who may decide on it)."""
    if not access.may_submit(acting_user, statement):
        raise NotAllowed(_("Only the rep or their approver submits this statement."))
    with acting_as(acting_user), transaction.atomic():
        locked = _locked(statement)
        if locked.status != Status.DRAFT:
            raise DecisionError(_("Only a draft statement can be submitted."))
        locked.status, locked.submitted_at = Status.SUBMITTED, timezone.now()
        locked.submitted_by = acting_user
        locked.save()
        title = format_lazy(_("Commission statement {period} waits for approval"),
                            period=locked.period_code)
        body = format_lazy(_("{rep}: {commission} {currency}"),
                           rep=locked.rep.get_full_name() or locked.rep.email,
                           commission=locked.commission, currency=locked.currency)
        notify(_approvers(locked), kind=STATEMENT_SUBMITTED.code, title=title, body=body,
               link=link_of(locked))
    return locked


def _decide(statement, *, acting_user, status: str, comment: str) -> CommissionStatement:
    if not access.may_decide(acting_user, statement):
        raise NotAllowed(_("Only a manager, a tenant admin or the rep's team lead decides, "
                           "and never on their own statement."))
    with acting_as(acting_user), transaction.atomic():
        locked = _locked(statement)
        if locked.status != Status.SUBMITTED:
            raise DecisionError(_("Only a submitted statement can be approved or rejected."))
        locked.status, locked.decision_comment = status, comment
        locked.decided_at, locked.decided_by = timezone.now(), acting_user
        locked.save()
        if status == Status.APPROVED:
            title = format_lazy(_("Your commission statement {period} was approved"),
                                period=locked.period_code)
        else:
            title = format_lazy(_("Your commission statement {period} was rejected"),
                                period=locked.period_code)
        notify([locked.rep_id], kind=STATEMENT_DECIDED.code, title=title, body=comment,
               link=link_of(locked))
    return locked


def approve(statement: CommissionStatement, *, acting_user,
            comment: str = "") -> CommissionStatement:
    """Approve a submitted statement: from now on it never changes."""
    return _decide(statement, acting_user=acting_user, status=Status.APPROVED,
                   comment=(comment or "").strip())


def reject(statement: CommissionStatement, *, acting_user, comment: str) -> CommissionStatement:
    """Send a submitted statement back with a comment; it can be recomputed and resubmitted."""
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired(_("Say why the statement is rejected."))
    return _decide(statement, acting_user=acting_user, status=Status.REJECTED, comment=comment)
