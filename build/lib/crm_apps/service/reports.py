"""The service reports: satisfaction per agent, team and month, and complaints by root cause
and severity with open and closed counts and the average time to close."""

import re
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import has_role
from core.roles import MANAGER, SERVICE_AGENT, TENANT_ADMIN
from crm_apps.service.models import SatisfactionSurvey, Ticket
from crm_apps.service.satisfaction import SATISFIED_FROM

Status = Ticket.Status
CLOSED = Status.CLOSED
HOUR = Decimal(3600)


def sees_every_agent(user) -> bool:
    """Managers and tenant admins read every agent's numbers."""
    return has_role(user, TENANT_ADMIN, MANAGER)


def may_view_csat(user) -> bool:
    """Managers and admins, and agents (who see only their own surveys)."""
    return sees_every_agent(user) or has_role(user, SERVICE_AGENT)


def may_view_complaints(user) -> bool:
    return sees_every_agent(user)


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


# --- satisfaction -------------------------------------------------------------------------

@dataclass(frozen=True)
class CsatRow:
    key: str
    label: str
    responses: int
    average: Decimal | None  # two decimals
    satisfied_percent: Decimal | None  # share of 4s and 5s, one decimal

    as_dict = asdict


def answered_surveys(user):
    """The answered surveys ``user`` may count: all for managers and admins, else their own."""
    surveys = SatisfactionSurvey.objects.filter(score__isnull=False,
                                                ticket__deleted_at__isnull=True)
    if sees_every_agent(user):
        return surveys
    return surveys.filter(agent=user)


def _csat_row(key, label, responses, score_sum, satisfied) -> CsatRow:
    if not responses:
        return CsatRow(str(key), str(label), 0, None, None)
    return CsatRow(str(key), str(label), responses,
                   _round(Decimal(score_sum) / responses, "0.01"),
                   _round(Decimal(100 * satisfied) / responses, "0.1"))


def _grouped(surveys, *fields):
    return (surveys.order_by().values(*fields)
            .annotate(responses=Count("id"), score_sum=Sum("score"),
                      satisfied=Count("id", filter=Q(score__gte=SATISFIED_FROM))))


def csat(surveys) -> dict:
    """Responses, average score and % satisfied per agent, per team, per month and overall."""
    agents = [
        _csat_row(row["agent_id"] or "", _person(row) or _("No agent"), row["responses"],
                  row["score_sum"], row["satisfied"])
        for row in _grouped(surveys, "agent_id", "agent__first_name", "agent__last_name",
                            "agent__email")]
    teams = [
        _csat_row(row["team_id"] or "", row["team__name"] or _("No team"), row["responses"],
                  row["score_sum"], row["satisfied"])
        for row in _grouped(surveys, "team_id", "team__name")]
    months = [
        _csat_row(f"{row['month']:%Y-%m}", f"{row['month']:%Y-%m}", row["responses"],
                  row["score_sum"], row["satisfied"])
        for row in _grouped(surveys.annotate(month=TruncMonth(
            "answered_at", tzinfo=timezone.get_current_timezone())), "month")]
    overall = surveys.order_by().aggregate(
        responses=Count("id"), score_sum=Sum("score"),
        satisfied=Count("id", filter=Q(score__gte=SATISFIED_FROM)))
    return {
        "agents": sorted(agents, key=lambda row: row.label.casefold()),
        "teams": sorted(teams, key=lambda row: row.label.casefold()),
        "months": sorted(months, key=lambda row: row.key),
        "total": _csat_row("", _("All"), overall["responses"], overall["score_sum"],
                           overall["satisfied"]),
    }


def _person(row) -> str:
    name = " ".join(part for part in (row["agent__first_name"], row["agent__last_name"])
                    if part)
    return name or row["agent__email"] or ""


# --- complaints ---------------------------------------------------------------------------

@dataclass
class ComplaintRow:
    key: str
    label: str
    total: int = 0
    open: int = 0
    closed: int = 0
    average_hours_to_close: Decimal | None = None
    _seconds_to_close: float = 0.0

    def add(self, status: str, seconds_to_close: float | None) -> None:
        self.total += 1
        if status == CLOSED:
            self.closed += 1
            self._seconds_to_close += seconds_to_close or 0.0
        else:
            self.open += 1

    def finish(self) -> "ComplaintRow":
        if self.closed:
            self.average_hours_to_close = _round(
                Decimal(self._seconds_to_close) / self.closed / HOUR, "0.1")
        return self

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in (
            "key", "label", "total", "open", "closed", "average_hours_to_close")}


def complaints_of(user):
    """The complaints counted: every live complaint (the report is for managers and admins)."""
    if not may_view_complaints(user):
        return Ticket.objects.none()
    return Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT)


_SPACES = re.compile(r"\s+")


def cause_of(root_cause: str) -> tuple[str, str]:
    """(key, label) of a root cause: its first non-empty line, spaces collapsed; the key
    ignores case, so "Late delivery" and "late delivery\\nCarrier lost it" count together."""
    first = next((line for line in (root_cause or "").splitlines() if line.strip()), "")
    label = _SPACES.sub(" ", first).strip().rstrip(".:;")
    return label.casefold(), label


def complaints(tickets) -> dict:
    """Complaints per root cause and per severity: open, closed, average hours to close
    (from opening to closing, closed ones only)."""
    causes: dict[str, ComplaintRow] = {}
    severities = {code: ComplaintRow(code, str(label))
                  for code, label in reversed(Ticket.Severity.choices)}
    unset_severity = ComplaintRow("", _("Not set"))
    total = ComplaintRow("", _("All"))
    rows = tickets.order_by("id").values_list("root_cause", "severity", "status", "created",
                                              "closed_at")
    for root_cause, severity, status, created, closed_at in rows.iterator(chunk_size=2000):
        seconds = (closed_at - created).total_seconds() if closed_at else None
        key, label = cause_of(root_cause)
        if key not in causes:
            causes[key] = ComplaintRow(key, label or _("Not recorded yet"))
        for row in (causes[key], severities.get(severity, unset_severity), total):
            row.add(status, seconds)
    by_severity = [row for row in severities.values() if row.total]
    if unset_severity.total:
        by_severity.append(unset_severity)
    return {
        "causes": sorted((row.finish() for row in causes.values()),
                         key=lambda row: (-row.total, row.label.casefold())),
        "severities": [row.finish() for row in by_severity],
        "total": total.finish(),
    }
