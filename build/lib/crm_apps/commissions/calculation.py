"""The arithmetic of a rep's commission for a period, from won orders (nothing is stored here).

Credited revenue
    Orders that came from accepted quotes (``Quote.order``): credited to the quote's
    opportunity's owner, or to the quote's owner when there is no opportunity (or it has no
    owner). An order counts in the period that contains its ``date_placed`` in the tenant's
    time zone. Cancelled and refunded orders (and lines) do not count, nor do orders in another
    currency than the plan's (amounts are never converted). A line's amount is its price
    excluding tax after discounts (``line_price_excl_tax``).

Attainment
    Credited revenue / the rep's quota for the period (the forecast's quota: a quarter
    without a quarterly quota takes the sum of its monthly quotas). Without a quota (or a
    quota of zero) there is no attainment.

Rates, marginally by tier
    Tiers say "from X % of quota on, Y %". Revenue is credited line by line in the order it was
    placed; the part of a line that falls within a band of attainment earns that band's rate,
    so a line that crosses 100 % earns the lower rate on the part below and the higher rate on
    the part above. Example: quota 100,000, credited 150,000, tiers 0 % → 2 %, 50 % → 5 %,
    100 % → 8 %: 50,000 × 2 % + 50,000 × 5 % + 50,000 × 8 % = 7,500.
    Below the first tier, and everywhere when the plan has no tiers or the rep has no quota,
    the plan's base rate applies.

Category rates
    A line whose product is in a category with its own rate (or in a category below it; the
    most specific one wins) earns that rate instead, or the tier/base rate times the
    category's multiplier. Its revenue still counts towards attainment. Free lines (no product)
    earn the tier/base rate.

Rounding
    Each line's commission is rounded to cents (half up) and the total is the sum of the lines,
    so the lines always add up; the attainment is kept to four decimals.
"""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from oscar.core.loading import get_model

from core.zones import tenant_zone
from crm_apps.commissions.models import CommissionPlan, PlanCategoryRate, StatementLine
from crm_apps.forecast.forecasting import Scope, quota_for
from crm_apps.forecast.periods import Period

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Oscar's order and line statuses are free text from the shop's pipeline
# (OSCAR_ORDER_STATUS_PIPELINE in core/settings.py ends in "Cancelled"); a refund status is
# counted out too. Compared without regard to case.
NOT_COUNTED_STATUSES = ("cancelled", "canceled", "refunded")


@dataclass(frozen=True)
class Band:
    start: Decimal  # credited revenue where the band starts
    end: Decimal | None  # where the next band starts (None: no end)
    rate: Decimal


@dataclass
class ComputedLine:
    order_id: int
    order_number: str
    order_date: object
    description: str
    category: str
    quantity: int
    amount: Decimal
    rate: Decimal
    basis: str
    commission: Decimal


@dataclass
class Computation:
    revenue: Decimal
    commission: Decimal
    quota: Decimal | None
    attainment: Decimal | None
    lines: list[ComputedLine]


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first and first-after moments in the tenant's time zone."""
    zone = tenant_zone()
    return (datetime.combine(period.start, time.min, tzinfo=zone),
            datetime.combine(period.end, time.min, tzinfo=zone))


def credited_lines(rep, period: Period, currency: str):
    """Order lines credited to ``rep`` in ``period``, in the order they were placed."""
    Line = get_model("order", "Line")
    start, end = period_bounds(period)
    owner = (Q(order__quote__opportunity__owner=rep)
             | Q(order__quote__opportunity__owner__isnull=True, order__quote__owner=rep))
    return (Line.objects.filter(owner, order__quote__isnull=False,
                                order__date_placed__gte=start, order__date_placed__lt=end,
                                order__currency=currency)
            .annotate(order_status=Lower("order__status"), line_status=Lower("status"))
            .exclude(order_status__in=NOT_COUNTED_STATUSES)
            .exclude(line_status__in=NOT_COUNTED_STATUSES)
            .select_related("order", "product__parent")
            .prefetch_related("product__categories", "product__parent__categories")
            .order_by("order__date_placed", "order__number", "id"))


def bands(plan: CommissionPlan, tiers: list, quota: Decimal | None) -> list[Band]:
    """The plan's rates by credited revenue: base rate below the first tier."""
    if not tiers or not quota:
        return [Band(ZERO, None, plan.base_rate)]
    starts = [(quota * tier.from_attainment / HUNDRED, tier.rate) for tier in tiers]
    if starts[0][0] > ZERO:
        starts.insert(0, (ZERO, plan.base_rate))
    return [Band(start, starts[index + 1][0] if index + 1 < len(starts) else None, rate)
            for index, (start, rate) in enumerate(starts)]


def banded_commission(position: Decimal, amount: Decimal, plan_bands: list[Band]) -> Decimal:
    """Commission on ``amount`` credited from ``position`` on, each part at its band's rate."""
    total, low, high = ZERO, position, position + amount
    for band in plan_bands:
        band_end = high if band.end is None else min(band.end, high)
        part = band_end - max(band.start, low)
        if part > 0:
            total += part * band.rate / HUNDRED
    return total


def _categories(product) -> list:
    source = product.parent if product.is_child and product.parent_id else product
    return list(source.categories.all())


def category_rule(product, rules: list[PlanCategoryRate]):
    """The most specific category rate of the plan that covers one of the product's
    categories (a rate on a category covers the categories below it), or None."""
    if product is None or not rules:
        return None
    best = None
    for category in _categories(product):
        for rule in rules:
            if category.path.startswith(rule.category.path) and (
                    best is None or rule.category.depth > best.category.depth):
                best = rule
    return best


def _category_label(product, rule) -> str:
    if rule is not None:
        return rule.category.name
    if product is None:
        return ""
    categories = _categories(product)
    return categories[0].name if categories else ""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def compute(rep, plan: CommissionPlan, period: Period) -> Computation:
    """The statement's numbers and lines for ``rep`` on ``plan`` in ``period`` (not stored)."""
    quota = quota_for(Scope("rep", user=rep), period)
    lines = list(credited_lines(rep, period, plan.currency))
    revenue = sum((line.line_price_excl_tax for line in lines), ZERO)
    attainment = (revenue / quota).quantize(RATIO, rounding=ROUND_HALF_UP) if quota else None
    tiers = sorted(plan.tiers.all(), key=lambda tier: tier.from_attainment)
    plan_bands = bands(plan, tiers, quota)
    tiered = bool(tiers and quota)
    rules = list(plan.category_rates.select_related("category"))
    zone = tenant_zone()
    position, computed = ZERO, []
    for line in lines:
        amount = line.line_price_excl_tax
        earned = banded_commission(position, amount, plan_bands)
        basis = StatementLine.Basis.TIER if tiered else StatementLine.Basis.BASE
        rule = category_rule(line.product, rules)
        if rule is not None and rule.rate is not None:
            earned, basis = amount * rule.rate / HUNDRED, StatementLine.Basis.CATEGORY_RATE
        elif rule is not None:
            earned = earned * rule.multiplier
            basis = StatementLine.Basis.CATEGORY_MULTIPLIER
        position += amount
        commission = _money(earned)
        rate = (earned * HUNDRED / amount).quantize(RATIO, rounding=ROUND_HALF_UP) if amount \
            else ZERO
        computed.append(ComputedLine(
            order_id=line.order_id, order_number=line.order.number,
            order_date=timezone.localtime(line.order.date_placed, zone).date(),
            description=line.title[:255], category=_category_label(line.product, rule)[:255],
            quantity=line.quantity, amount=_money(amount), rate=rate, basis=basis,
            commission=commission))
    return Computation(revenue=_money(revenue),
                       commission=sum((line.commission for line in computed), ZERO),
                       quota=None if quota is None else _money(quota), attainment=attainment,
                       lines=computed)
