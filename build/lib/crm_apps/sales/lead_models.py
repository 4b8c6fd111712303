"""Rules a tenant admin sets for leads: who gets a new lead, and how many points it scores."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_apps.customers.models import Team

# Lead fields a rule may look at (assignment matches them; scoring rules name one of them).
MATCHED_FIELDS = ("source", "country", "region", "industry", "territory")
SCORED_FIELDS = [
    ("source", _("Source")), ("status", _("Status")), ("industry", _("Industry")),
    ("country", _("Country")), ("region", _("Region")), ("territory", _("Territory")),
    ("title", _("Job title")), ("company", _("Company")), ("email", _("E-mail")),
    ("phone", _("Phone")), ("website", _("Website")), ("campaign", _("Campaign")),
]


class AssignmentRule(models.Model):
    """Who owns a new lead: the first active rule (by position) whose criteria all match."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin within a team")
        TERRITORY_OWNER = "territory_owner", _("Owner of the territory")

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Blank criteria match anything; text is compared without regard to case.
    source = models.CharField(_("source"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    territory = models.CharField(_("territory"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("territory owner"),
                             null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The member who got the previous lead: round robin continues after them.
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      editable=False, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="round_robin") | Q(team__isnull=False),
                name="assignment_round_robin_has_team"),
            models.CheckConstraint(
                condition=~Q(method="territory_owner") | Q(user__isnull=False),
                name="assignment_territory_has_owner"),
        ]

    def __str__(self):
        return self.name

    def matches(self, lead) -> bool:
        for field in MATCHED_FIELDS:
            wanted = getattr(self, field).strip().lower()
            if wanted and wanted != (getattr(lead, field) or "").strip().lower():
                return False
        return True


class ScoringRule(models.Model):
    """Points a lead earns when one of its fields meets a condition."""

    class Operator(models.TextChoices):
        EQUALS = "equals", _("equals")
        CONTAINS = "contains", _("contains")
        IS_SET = "is_set", _("is set")

    name = models.CharField(_("name"), max_length=100, blank=True)
    field = models.CharField(_("field"), max_length=30, choices=SCORED_FIELDS)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices)
    value = models.CharField(pgettext_lazy("rule", "value"), max_length=200, blank=True)
    points = models.IntegerField(_("points"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")
        ordering = ["id"]

    def __str__(self):
        return self.name or f"{self.field} {self.operator} {self.value}"

    def applies_to(self, lead) -> bool:
        actual = str(getattr(lead, self.field, "") or "").strip().lower()
        wanted = self.value.strip().lower()
        if self.operator == self.Operator.IS_SET:
            return bool(actual)
        if self.operator == self.Operator.CONTAINS:
            return bool(wanted) and wanted in actual
        return actual == wanted


class ActivityPoints(models.Model):
    """Points a lead earns for each activity of one kind logged on it."""

    kind = models.CharField(_("activity kind"), max_length=10, unique=True)
    points = models.IntegerField(_("points"))

    class Meta:
        verbose_name = _("points per activity")
        verbose_name_plural = _("points per activity")
        ordering = ["kind"]

    def __str__(self):
        return f"{self.kind}: {self.points}"
