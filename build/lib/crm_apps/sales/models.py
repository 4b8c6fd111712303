"""Leads, pipelines with their stages, and opportunities."""

from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.languages import in_reader_language
from crm_apps.customers.models import Account, Contact, OwnedRecord


class Pipeline(models.Model):
    """A sales process of the tenant, with its own stages (e.g. "New business", "Renewals")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default"), default=False)
    currency = models.CharField(_("currency"), max_length=3, default="CNY",
                                help_text=_("ISO 4217 code of the amounts, such as CNY."))

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="one_default_pipeline")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_reader_language(self.name, self.name_zh_hans)


class Stage(models.Model):
    """A column of a pipeline's board, with the chance of winning from there."""

    class Outcome(models.TextChoices):
        OPEN = "open", pgettext_lazy("deal outcome", "Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                 related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=10, validators=[MaxValueValidator(100)])
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices,
                               default=Outcome.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_reader_language(self.name, self.name_zh_hans)


class SalesRecord(OwnedRecord):
    """What leads and opportunities add to an owned record: custom fields."""

    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta(OwnedRecord.Meta):
        abstract = True


class Lead(SalesRecord):
    """Someone who may buy, before qualification: from a form, an import, the API or by hand."""

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        IMPORT = "import", _("Import")
        API = "api", _("API")
        MANUAL = "manual", _("Entered by hand")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        WORKING = "working", _("Working")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    territory = models.CharField(_("territory"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices,
                              default=Source.MANUAL)
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.NEW)
    disqualified_reason = models.CharField(_("reason for disqualifying"), max_length=200,
                                           blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Points from the tenant's scoring rules, and the model's probability (0-100) once trained.
    score = models.IntegerField(_("score"), default=0)
    predicted_score = models.FloatField(_("predicted score"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="leads")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="leads")

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"], name="lead_owner_recent"),
                   models.Index(fields=["team", "-id"], name="lead_team_recent"),
                   models.Index(fields=["status", "-id"], name="lead_status_recent"),
                   GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"],
                            name="lead_custom_values")]
        constraints = [models.CheckConstraint(
            condition=~Q(status="disqualified") | ~Q(disqualified_reason=""),
            name="lead_disqualified_has_reason")]

    def __str__(self):
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.email or self.company


class Opportunity(SalesRecord):
    """A deal in a pipeline: its stage, amount, expected close and forecast category."""

    class ForecastCategory(models.TextChoices):
        PIPELINE = "pipeline", _("Pipeline")
        BEST_CASE = "best_case", _("Best case")
        COMMIT = "commit", _("Commit")
        CLOSED = "closed", _("Closed")
        OMITTED = "omitted", _("Omitted")

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="opportunities")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="opportunities")
    lead = models.ForeignKey(Lead, verbose_name=_("lead"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="opportunities")
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"),
                                 on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT,
                              related_name="opportunities")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    forecast_category = models.CharField(_("forecast category"), max_length=20,
                                         choices=ForecastCategory.choices,
                                         default=ForecastCategory.PIPELINE)
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Position of the card inside its column on the board (lower first).
    board_position = models.FloatField(_("position on the board"), default=0)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"], name="opportunity_owner_recent"),
                   models.Index(fields=["team", "-id"], name="opportunity_team_recent"),
                   models.Index(fields=["stage", "board_position"], name="opportunity_board"),
                   models.Index(fields=["expected_close"], name="opportunity_close"),
                   GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"],
                            name="opportunity_custom_values")]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0),
                                              name="opportunity_amount_not_negative")]

    def __str__(self):
        return self.name


# Assignment and scoring rules of leads live in their own module.
from crm_apps.sales.lead_models import (  # noqa: E402, F401
    ActivityPoints,
    AssignmentRule,
    ScoringRule,
)
from crm_apps.sales.prediction_models import LeadScoreModel  # noqa: E402, F401
