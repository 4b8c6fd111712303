"""Commission plans with their tiers, category rates and members, and statements per rep and
period with their lines (all amounts and rates in Decimal)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.languages import in_reader_language
from crm_apps.forecast.models import PeriodKind

RATE = {"max_digits": 7, "decimal_places": 4}  # a percentage such as 12.5000
MONEY = {"max_digits": 18, "decimal_places": 2}


# "plan" alone is also a tenant's subscription plan, translated differently.
PLAN_LABEL = pgettext_lazy("commission", "plan")


class CommissionPlan(models.Model):
    """How a group of reps is paid: a base rate, optional tiers by attainment of quota and
    optional rates per product category, computed per month or per quarter."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY",
                                help_text=_("Only orders in this currency are credited."))
    base_rate = models.DecimalField(_("base rate (%)"), **RATE, default=0,
                                    help_text=_("Paid below the first tier, or on everything "
                                                "when the plan has no tiers."))
    is_active = models.BooleanField(_("active"), default=True)
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices,
                                   default=PeriodKind.MONTH)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        ordering = ["name", "id"]
        constraints = [models.CheckConstraint(condition=Q(base_rate__gte=0) & Q(base_rate__lte=100),
                                              name="commission_plan_base_rate_range")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_reader_language(self.name, self.name_zh_hans)


class CommissionTier(models.Model):
    """From this attainment of quota on, revenue earns this rate (marginally: see
    crm_apps.commissions.statements)."""

    plan = models.ForeignKey(CommissionPlan, verbose_name=PLAN_LABEL, on_delete=models.CASCADE,
                             related_name="tiers")
    from_attainment = models.DecimalField(_("from attainment (%)"), max_digits=7,
                                          decimal_places=2)
    rate = models.DecimalField(_("rate (%)"), **RATE)

    class Meta:
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        ordering = ["plan", "from_attainment"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "from_attainment"],
                                    name="commission_tier_unique_start"),
            models.CheckConstraint(condition=Q(from_attainment__gte=0),
                                   name="commission_tier_start_not_negative"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100),
                                   name="commission_tier_rate_range"),
        ]

    def __str__(self):
        return f"≥ {self.from_attainment}%: {self.rate}%"


class PlanCategoryRate(models.Model):
    """Lines of products in this catalogue category (or below it) earn their own rate, or the
    tier or base rate times a multiplier, instead of the tier or base rate."""

    plan = models.ForeignKey(CommissionPlan, verbose_name=PLAN_LABEL, on_delete=models.CASCADE,
                             related_name="category_rates")
    category = models.ForeignKey("catalogue.Category", verbose_name=_("category"),
                                 on_delete=models.CASCADE, related_name="+")
    rate = models.DecimalField(_("rate (%)"), **RATE, null=True, blank=True)
    multiplier = models.DecimalField(_("multiplier"), max_digits=6, decimal_places=3,
                                     null=True, blank=True)

    class Meta:
        verbose_name = _("category rate")
        verbose_name_plural = _("category rates")
        ordering = ["plan", "category__path"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "category"],
                                    name="commission_category_rate_unique"),
            models.CheckConstraint(
                condition=(Q(rate__isnull=False, multiplier__isnull=True)
                           | Q(rate__isnull=True, multiplier__isnull=False)),
                name="commission_category_rate_or_multiplier"),
            models.CheckConstraint(condition=Q(rate__isnull=True)
                                   | (Q(rate__gte=0) & Q(rate__lte=100)),
                                   name="commission_category_rate_range"),
            models.CheckConstraint(condition=Q(multiplier__isnull=True) | Q(multiplier__gte=0),
                                   name="commission_category_multiplier_not_negative"),
        ]

    def __str__(self):
        value = f"{self.rate}%" if self.rate is not None else f"× {self.multiplier}"
        return f"{self.category_id}: {value}"


class PlanMembership(models.Model):
    """A rep is on a plan from a day until a day (inclusive; open-ended without one). A rep is
    on one plan at a time: memberships of one rep never overlap (checked by
    crm_apps.commissions.plans.check_membership)."""

    plan = models.ForeignKey(CommissionPlan, verbose_name=PLAN_LABEL, on_delete=models.CASCADE,
                             related_name="memberships")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"),
                            on_delete=models.CASCADE, related_name="commission_memberships")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               help_text=_("Empty: until further notice."))

    class Meta:
        verbose_name = _("plan membership")
        verbose_name_plural = _("plan memberships")
        ordering = ["rep", "starts_on", "id"]
        constraints = [models.CheckConstraint(
            condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
            name="commission_membership_ends_after_start")]
        indexes = [models.Index(fields=["rep", "starts_on"], name="commission_member_rep")]

    def __str__(self):
        return f"{self.rep_id} @ {self.plan_id} {self.starts_on}–{self.ends_on or ''}"


class CommissionStatement(models.Model):
    """What one rep earned in one period: computed from won orders, submitted, then approved
    (frozen for good) or rejected with a comment."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"),
                            on_delete=models.CASCADE, related_name="commission_statements")
    # The plan may be deleted later; its name at computation stays on the statement.
    plan = models.ForeignKey(CommissionPlan, verbose_name=PLAN_LABEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="statements")
    plan_name = models.CharField(_("plan name"), max_length=100, blank=True)
    period_kind = models.CharField(_("period kind"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("The last day of the period."))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    revenue = models.DecimalField(_("credited revenue"), **MONEY, default=0)
    commission = models.DecimalField(_("commission"), **MONEY, default=0)
    quota = models.DecimalField(_("quota"), **MONEY, null=True, blank=True)
    attainment = models.DecimalField(_("attainment"), max_digits=12, decimal_places=4,
                                     null=True, blank=True,
                                     help_text=_("Credited revenue / quota (1 = 100%)."))
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        ordering = ["-period_start", "rep_id", "id"]
        constraints = [models.UniqueConstraint(fields=["rep", "period_start"],
                                               name="commission_statement_once_per_period")]
        indexes = [models.Index(fields=["status", "-period_start"],
                                name="commission_statement_status")]

    def __str__(self):
        return f"{self.rep} {self.period_code}"

    @property
    def period_code(self) -> str:
        from crm_apps.forecast.periods import Period

        return Period(self.period_kind, self.period_start).code

    @property
    def attainment_percent(self):
        return None if self.attainment is None else self.attainment * 100


class StatementLine(models.Model):
    """One credited order line and the commission it earned."""

    class Basis(models.TextChoices):
        BASE = "base", _("Base rate")
        TIER = "tier", _("Tier rate")
        CATEGORY_RATE = "category_rate", _("Category rate")
        CATEGORY_MULTIPLIER = "category_multiplier", _("Category multiplier")

    statement = models.ForeignKey(CommissionStatement, verbose_name=_("statement"),
                                  on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    order = models.ForeignKey("order.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    order_number = models.CharField(_("order number"), max_length=128)
    order_date = models.DateField(_("order date"))
    description = models.CharField(_("description"), max_length=255)
    category = models.CharField(_("category"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount = models.DecimalField(_("amount"), **MONEY)
    rate = models.DecimalField(_("rate (%)"), **RATE,
                               help_text=_("Commission / amount; a line across two tiers "
                                           "shows the blended rate."))
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    commission = models.DecimalField(_("commission"), **MONEY)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "position", "id"]

    def __str__(self):
        return f"{self.order_number} {self.description}"
