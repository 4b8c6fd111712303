"""Territories (which accounts belong to whom), quotas, and stored forecast snapshots."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Team


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class Territory(models.Model):
    """A slice of the market by region, country and industry; an empty list matches any."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0,
                                           help_text=_("Lower positions are matched first."))
    regions = ArrayField(models.CharField(max_length=100), verbose_name=_("regions"),
                         default=list, blank=True)
    countries = ArrayField(models.CharField(max_length=2), verbose_name=_("countries"),
                           default=list, blank=True)
    industries = ArrayField(models.CharField(max_length=100), verbose_name=_("industries"),
                            default=list, blank=True)
    reps = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("sales reps"),
                                  blank=True, related_name="territories")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True,
                                blank=True, on_delete=models.SET_NULL,
                                related_name="territories_managed")

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class Quota(models.Model):
    """What one rep or one team should close in a month or a quarter."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), null=True,
                             blank=True, on_delete=models.CASCADE, related_name="quotas")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="quotas")
    period_kind = models.CharField(_("period kind"), max_length=10, choices=PeriodKind.choices,
                                   default=PeriodKind.MONTH)
    period_start = models.DateField(_("period start"),
                                    help_text=_("The first day of the month or quarter."))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, team__isnull=True)
                           | Q(user__isnull=True, team__isnull=False)),
                name="quota_user_xor_team"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_amount_not_negative"),
            models.UniqueConstraint(fields=["user", "period_kind", "period_start"],
                                    condition=Q(user__isnull=False), name="quota_unique_user"),
            models.UniqueConstraint(fields=["team", "period_kind", "period_start"],
                                    condition=Q(team__isnull=False), name="quota_unique_team"),
        ]

    def __str__(self):
        return f"{self.user or self.team} {self.period_kind} {self.period_start}: {self.amount}"


class ForecastSnapshot(models.Model):
    """What the forecast said on one day for one scope and period, to compare with the result."""

    class Scope(models.TextChoices):
        REP = "rep", _("Sales rep")
        TEAM = "team", _("Team")
        TENANT = "tenant", _("Whole company")

    taken_on = models.DateField(_("taken on"))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), null=True,
                             blank=True, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(_("period kind"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    weighted_pipeline = models.DecimalField(_("weighted pipeline"), max_digits=18,
                                            decimal_places=2)
    commit = models.DecimalField(_("commit"), max_digits=18, decimal_places=2)
    best_case = models.DecimalField(_("best case"), max_digits=18, decimal_places=2)
    closed_won = models.DecimalField(_("closed won"), max_digits=18, decimal_places=2)
    quota = models.DecimalField(_("quota"), max_digits=18, decimal_places=2, null=True,
                                blank=True)

    class Meta:
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        ordering = ["-taken_on", "period_start", "scope", "id"]
        constraints = [models.UniqueConstraint(
            fields=["taken_on", "scope", "user", "team", "period_kind", "period_start"],
            nulls_distinct=False, name="forecast_snapshot_once_a_day")]
        indexes = [models.Index(fields=["scope", "period_kind", "period_start"],
                                name="forecast_snapshot_period")]

    def __str__(self):
        return f"{self.scope} {self.period_kind} {self.period_start} @ {self.taken_on}"
