"""The forecast of a rep, a team or the whole tenant for a month or a quarter.

From the opportunities the viewer may see (a rep asking for the whole tenant gets only what
they see):
- weighted pipeline: sum of amount x stage probability / 100 of open opportunities expected
  to close in the period;
- commit: sum of the open ones in the "commit" forecast category;
- best case: commit plus the open ones in "best case";
- closed won: sum of opportunities in a won stage closed in the period (in the current time
  zone);
- quota: a rep's own quota; a team's quota when the team has one for the period, otherwise
  the sum of its members' quotas; the tenant's is the sum of the reps' quotas (or, when no rep
  has one, of the teams'). A quarter without a quarterly quota takes the sum of its monthly
  quotas; a month never takes a share of a quarterly one.
- attainment: closed won / quota (None without a quota).
Amounts are summed as stored, in the tenant's currency; results are rounded to cents (the
attainment to four decimals) only at the end.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from core.permissions import roles_of
from core.roles import MANAGER, SALES_REP
from crm_apps.customers.models import Team
from crm_apps.customers.visibility import SEES_ALL, colleague_ids, team_ids, visible
from crm_apps.forecast.models import ForecastSnapshot, PeriodKind, Quota
from crm_apps.forecast.periods import Period, containing
from crm_apps.sales.models import Opportunity, Stage

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0")
SELLING_ROLES = (SALES_REP, MANAGER)


class ScopeError(ValueError):
    """A scope that is malformed or names nothing in this tenant."""


@dataclass(frozen=True)
class Scope:
    kind: str  # "rep", "team" or "tenant"
    user: object = None
    team: Team | None = None

    @property
    def code(self) -> str:
        if self.kind == ForecastSnapshot.Scope.REP:
            return f"rep:{self.user.pk}"
        if self.kind == ForecastSnapshot.Scope.TEAM:
            return f"team:{self.team.pk}"
        return "tenant"

    @property
    def label(self) -> str:
        if self.kind == ForecastSnapshot.Scope.REP:
            return self.user.get_full_name() or self.user.email
        if self.kind == ForecastSnapshot.Scope.TEAM:
            return self.team.name
        return ""


TENANT = Scope(ForecastSnapshot.Scope.TENANT)


def parse_scope(code: str) -> Scope:
    """"rep:<id>", "team:<id>" or "tenant" (default); ScopeError otherwise."""
    code = (code or "tenant").strip()
    if code == "tenant":
        return TENANT
    kind, _, ident = code.partition(":")
    if kind not in ("rep", "team") or not ident.isdigit():
        raise ScopeError(code)
    if kind == "rep":
        user = get_user_model().objects.filter(pk=int(ident), is_active=True).first()
        if user is None or not roles_of(user) & set(SELLING_ROLES):
            raise ScopeError(code)
        return Scope(ForecastSnapshot.Scope.REP, user=user)
    team = Team.objects.filter(pk=int(ident)).first()
    if team is None:
        raise ScopeError(code)
    return Scope(ForecastSnapshot.Scope.TEAM, team=team)


def may_view(scope: Scope, viewer) -> bool:
    """Whether ``viewer`` may ask for this scope: their own or a colleague's numbers, their
    teams', and the tenant (which is then narrowed to what they see)."""
    if viewer is None or roles_of(viewer) & SEES_ALL or scope.kind == "tenant":
        return True
    if scope.kind == "rep":
        return scope.user.pk in colleague_ids(viewer)
    return scope.team.pk in team_ids(viewer)


def sees_everything(viewer) -> bool:
    return viewer is None or bool(roles_of(viewer) & SEES_ALL)


@dataclass
class Numbers:
    weighted_pipeline: Decimal
    commit: Decimal
    best_case: Decimal
    closed_won: Decimal
    quota: Decimal | None
    attainment: Decimal | None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def attainment_percent(self) -> int:
        """For progress bars: the attainment in whole percent, capped at 100."""
        if self.attainment is None:
            return 0
        return int(min(self.attainment * 100, Decimal(100)))


def _member_ids(team: Team) -> list[int]:
    return list(team.members.values_list("pk", flat=True))


def opportunities(scope: Scope, viewer=None):
    """The scope's opportunities, narrowed to what ``viewer`` sees (None: everything)."""
    queryset = Opportunity.objects.all()
    if scope.kind == "rep":
        queryset = queryset.filter(owner=scope.user)
    elif scope.kind == "team":
        queryset = queryset.filter(Q(team=scope.team) | Q(owner__in=_member_ids(scope.team)))
    return queryset if viewer is None else visible(queryset, viewer)


def _quotas_by_owner(period: Period, owner_field: str, owner_ids=None) -> dict[int, Decimal]:
    """Each owner's quota for ``period`` (see the module docstring for quarters)."""
    queryset = Quota.objects.filter(**{f"{owner_field}__isnull": False}).filter(
        Q(period_kind=period.kind, period_start=period.start)
        | Q(period_kind=PeriodKind.MONTH, period_start__in=period.month_starts()))
    if owner_ids is not None:
        queryset = queryset.filter(**{f"{owner_field}__in": owner_ids})
    exact, monthly = {}, defaultdict(lambda: ZERO)
    for owner, kind, start, amount in queryset.values_list(
            f"{owner_field}_id", "period_kind", "period_start", "amount"):
        if kind == period.kind and start == period.start:
            exact[owner] = amount
        else:
            monthly[owner] += amount
    return {**monthly, **exact}


def quota_for(scope: Scope, period: Period) -> Decimal | None:
    if scope.kind == "rep":
        return _quotas_by_owner(period, "user", [scope.user.pk]).get(scope.user.pk)
    if scope.kind == "team":
        own = _quotas_by_owner(period, "team", [scope.team.pk]).get(scope.team.pk)
        if own is not None:
            return own
        members = _quotas_by_owner(period, "user", _member_ids(scope.team))
        return sum(members.values(), ZERO) if members else None
    for field in ("user", "team"):
        quotas = _quotas_by_owner(period, field)
        if quotas:
            return sum(quotas.values(), ZERO)
    return None


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


WEIGHTED = ExpressionWrapper(F("amount") * F("stage__probability"),
                             output_field=DecimalField(max_digits=24, decimal_places=2))


def _in_period(period: Period) -> tuple[Q, Q]:
    """The open opportunities expected to close in ``period``, and the ones won in it."""
    open_ones = Q(stage__outcome=Stage.Outcome.OPEN, expected_close__gte=period.start,
                  expected_close__lt=period.end)
    won = Q(stage__outcome=Stage.Outcome.WON, closed_at__date__gte=period.start,
            closed_at__date__lt=period.end)
    return open_ones, won


def _sums(period: Period, within: Q | None = None, prefix: str = "") -> dict:
    """Aggregates of the raw (unrounded) sums of the opportunities ``within`` a scope."""
    open_ones, won = _in_period(period)
    if within is not None:
        open_ones, won = open_ones & within, won & within
    categories = Opportunity.ForecastCategory
    return {
        f"{prefix}weighted": Sum(WEIGHTED, filter=open_ones),
        f"{prefix}commit": Sum("amount", filter=open_ones & Q(forecast_category=categories.COMMIT)),
        f"{prefix}best_case": Sum("amount", filter=open_ones & Q(forecast_category__in=[
            categories.COMMIT, categories.BEST_CASE])),
        f"{prefix}won": Sum("amount", filter=won),
    }


def _numbers(raw: dict, quota: Decimal | None, prefix: str = "") -> Numbers:
    """Rounded numbers from raw sums (missing ones count as zero) and a quota."""
    won = raw.get(f"{prefix}won") or ZERO
    attainment = None
    if quota:
        attainment = (won / quota).quantize(RATIO, rounding=ROUND_HALF_UP)
    return Numbers(
        weighted_pipeline=_money((raw.get(f"{prefix}weighted") or ZERO) / 100),
        commit=_money(raw.get(f"{prefix}commit")),
        best_case=_money(raw.get(f"{prefix}best_case")),
        closed_won=_money(won),
        quota=None if quota is None else _money(quota),
        attainment=attainment,
    )


def _relevant(queryset, period: Period):
    open_ones, won = _in_period(period)
    return queryset.filter(open_ones | won)


def forecast(scope: Scope, period: Period, viewer=None) -> Numbers:
    """The numbers of ``scope`` for ``period`` as ``viewer`` may see them."""
    raw = _relevant(opportunities(scope, viewer), period).aggregate(**_sums(period))
    return _numbers(raw, quota_for(scope, period))


def selling_users(viewer=None):
    """Active reps and managers, limited to the viewer's colleagues unless they see all."""
    users = get_user_model().objects.filter(
        is_active=True, groups__name__in=SELLING_ROLES).distinct().order_by(
        "first_name", "last_name", "email")
    if not sees_everything(viewer):
        users = users.filter(pk__in=colleague_ids(viewer))
    return users


def teams_for(viewer=None):
    teams = Team.objects.order_by("name")
    if not sees_everything(viewer):
        teams = teams.filter(pk__in=team_ids(viewer))
    return teams


def board(period: Period, viewer) -> dict:
    """Rows per rep and per team, and the tenant's total, for the forecast page.

    The same numbers as ``forecast`` per scope, from a few queries whatever the number of
    reps, teams and opportunities: sums grouped by owner (the reps' rows, and the total as
    their sum), one query of conditional sums for the teams, and the quotas read once.
    """
    reps, teams = list(selling_users(viewer)), list(teams_for(viewer))
    visible_ones = _relevant(opportunities(TENANT, viewer), period)
    by_owner = {row["owner"]: row for row in visible_ones.values("owner").annotate(
        **_sums(period)).order_by()}
    total = {name: sum((row[name] or ZERO for row in by_owner.values()), ZERO)
             for name in ("weighted", "commit", "best_case", "won")}
    members = defaultdict(list)
    for team_id, user_id in Team.members.through.objects.filter(
            team__in=teams).values_list("team_id", "user_id"):
        members[team_id].append(user_id)
    team_sums = {}
    if teams:
        team_sums = visible_ones.aggregate(**{
            name: aggregate for team in teams for name, aggregate in _sums(
                period, Q(team=team) | Q(owner__in=members[team.pk]),
                prefix=f"team_{team.pk}_").items()})
    user_quotas = _quotas_by_owner(period, "user")
    team_quotas = _quotas_by_owner(period, "team")

    def team_quota(team):
        if team.pk in team_quotas:
            return team_quotas[team.pk]
        own = [user_quotas[pk] for pk in members[team.pk] if pk in user_quotas]
        return sum(own, ZERO) if own else None

    tenant_quota = next((sum(quotas.values(), ZERO) for quotas in (user_quotas, team_quotas)
                         if quotas), None)
    return {
        "reps": [(Scope("rep", user=user),
                  _numbers(by_owner.get(user.pk, {}), user_quotas.get(user.pk)))
                 for user in reps],
        "teams": [(Scope("team", team=team),
                   _numbers(team_sums, team_quota(team), prefix=f"team_{team.pk}_"))
                  for team in teams],
        "total": _numbers(total, tenant_quota),
    }


def snapshot_periods(today: date) -> list[Period]:
    """The current and the next month and quarter."""
    month, quarter = containing(today), containing(today, PeriodKind.QUARTER)
    return [month, month.shifted(1), quarter, quarter.shifted(1)]


def take_snapshots(today: date | None = None) -> int:
    """Store every rep's, team's and the tenant's forecast for the current and next periods.
    Taking them twice on one day replaces that day's rows instead of adding new ones."""
    today = today or timezone.localdate()
    scopes = [TENANT,
              *(Scope("rep", user=user) for user in selling_users()),
              *(Scope("team", team=team) for team in teams_for())]
    stored = 0
    for period in snapshot_periods(today):
        for scope in scopes:
            numbers = forecast(scope, period)
            ForecastSnapshot.objects.update_or_create(
                taken_on=today, scope=scope.kind, user=scope.user, team=scope.team,
                period_kind=period.kind, period_start=period.start,
                defaults={"weighted_pipeline": numbers.weighted_pipeline,
                          "commit": numbers.commit, "best_case": numbers.best_case,
                          "closed_won": numbers.closed_won, "quota": numbers.quota})
            stored += 1
    return stored


@dataclass
class HistoryRow:
    taken_on: date
    period: Period
    weighted_pipeline: Decimal
    commit: Decimal
    best_case: Decimal
    closed_won_then: Decimal
    quota: Decimal | None
    closed_won: Decimal  # what finally closed (so far, for a period not yet over)
    finished: bool

    @property
    def commit_gap(self) -> Decimal:
        """Closed won minus what was committed (negative: fell short)."""
        return self.closed_won - self.commit

    def as_dict(self) -> dict:
        return {"taken_on": self.taken_on, "period": self.period.code,
                "period_kind": self.period.kind, "weighted_pipeline": self.weighted_pipeline,
                "commit": self.commit, "best_case": self.best_case,
                "closed_won_then": self.closed_won_then, "quota": self.quota,
                "closed_won": self.closed_won, "commit_gap": self.commit_gap,
                "finished": self.finished}


def history(scope: Scope, viewer=None, *, kind: str | None = None, limit: int = 52):
    """What was forecast (the snapshots, newest first) beside what finally closed.

    Snapshots were taken without a viewer, so a viewer who does not see everything only gets
    the history of the tenant's total when they see everything."""
    if scope.kind == "tenant" and not sees_everything(viewer):
        return []
    snapshots = ForecastSnapshot.objects.filter(scope=scope.kind, user=scope.user,
                                                team=scope.team)
    if kind:
        snapshots = snapshots.filter(period_kind=kind)
    today = timezone.localdate()
    actual: dict[Period, Decimal] = {}
    rows = []
    for snap in snapshots.order_by("-taken_on", "period_start", "period_kind")[:limit]:
        period = Period(snap.period_kind, snap.period_start)
        if period not in actual:
            actual[period] = forecast(scope, period, viewer).closed_won
        rows.append(HistoryRow(
            taken_on=snap.taken_on, period=period, weighted_pipeline=snap.weighted_pipeline,
            commit=snap.commit, best_case=snap.best_case, closed_won_then=snap.closed_won,
            quota=snap.quota, closed_won=actual[period], finished=period.end <= today))
    return rows
