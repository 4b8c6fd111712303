"""What shapes the desk: SLA policies, working hours and holidays, assignment rules, canned
replies, and the satisfaction survey of a resolved ticket."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Account, Team


class SlaPolicy(models.Model):
    """Targets for tickets of one priority (and, optionally, one customer tier), counted in
    business minutes of the tenant's working hours."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=10,
                                choices=[("low", _("Low")), ("normal", _("Normal")),
                                         ("high", _("High")), ("urgent", _("Urgent"))])
    # Blank: any tier. A policy for the ticket's account tier wins over the "any" one.
    customer_tier = models.CharField(_("customer tier"), max_length=20,
                                     choices=Account.Tier.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before a breach (business minutes)"), default=60)
    # On a breach the team lead is always told; optionally the ticket moves to someone else.
    escalate_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reassign to"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "customer_tier", "id"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "customer_tier"],
                                    condition=Q(active=True), name="sla_one_active_policy"),
            models.CheckConstraint(condition=Q(resolution_minutes__gte=F("first_response_minutes")),
                                   name="sla_resolution_after_first_response"),
        ]

    def __str__(self):
        return self.name


class BusinessHours(models.Model):
    """One working period of a weekday (Monday = 0) in the tenant's time zone; a day may have
    several (a lunch break), a day without any is closed."""

    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)],
        choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
                 (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))])
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")),
                                              name="business_hours_end_after_start")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A day the desk is closed whatever its weekday, or (``working_day``) a weekend day it
    works as a weekday, as China's make-up working days around the Golden Weeks."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    working_day = models.BooleanField(
        _("working day"), default=False,
        help_text=_("A make-up working day: the desk opens with the hours of a normal "
                    "weekday."))

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class TicketAssignmentRule(models.Model):
    """Who gets new tickets: the first active rule matching the ticket's type and the account's
    tier picks a member of its team, in turn or the least loaded."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("In turn (round robin)")
        LEAST_LOADED = "least_loaded", _("Least open tickets")

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("ticket type"), max_length=20, blank=True,
                            choices=[("question", _("Question")), ("incident", _("Incident")),
                                     ("service_request", _("After-sales service request")),
                                     ("complaint", _("Complaint"))])
    customer_tier = models.CharField(_("customer tier"), max_length=20,
                                     choices=Account.Tier.choices, blank=True)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE,
                             related_name="+")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices,
                              default=Method.ROUND_ROBIN)
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      editable=False, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        verbose_name = _("ticket assignment rule")
        verbose_name_plural = _("ticket assignment rules")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    def matches(self, ticket) -> bool:
        tier = ticket.account.tier if ticket.account_id else ""
        return ((not self.kind or self.kind == ticket.kind)
                and (not self.customer_tier or self.customer_tier == tier))


class CannedReply(models.Model):
    """A prepared answer agents insert into a reply."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=10, blank=True,
                                choices=[("en", "English"), ("zh-hans", "简体中文")])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   editable=False, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self):
        return self.title


def new_survey_token() -> str:
    return secrets.token_urlsafe(24)


class SatisfactionSurvey(models.Model):
    """The one-click survey sent when a ticket is resolved: a score of 1 to 5 and a comment."""

    ticket = models.OneToOneField("service.Ticket", verbose_name=_("ticket"),
                                  on_delete=models.CASCADE, related_name="survey")
    token = models.CharField(max_length=64, unique=True, default=new_survey_token,
                             editable=False)
    # Who handled the ticket when it was resolved: scores per agent and team stay put.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(
            condition=Q(score__isnull=True) | (Q(score__gte=1) & Q(score__lte=5)),
            name="survey_score_range")]

    def __str__(self):
        return f"{self.ticket_id}: {self.score or '—'}"
