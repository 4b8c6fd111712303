"""Activities in one table: shared fields plus nullable task, call, meeting and e-mail fields.

One table rather than one per kind: the list, filters, visibility rule and timeline are then a
single indexed query with no unions or joins per kind, and the kind-specific columns are few
(a dozen nullable ones cost nothing in PostgreSQL). Which fields belong to which kind is
enforced by the API serializer and by database check constraints.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Account, Contact, LiveManager


class Activity(models.Model):
    class Kind(models.TextChoices):
        TASK = "task", _("Task")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        NOTE = "note", _("Note")
        EMAIL = "email", _("E-mail")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="activities")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="activities")
    lead = models.ForeignKey("sales.Lead", verbose_name=_("lead"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="activities")
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)

    # Tasks
    due = models.DateTimeField(_("due"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_activities")
    reminder_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded = models.BooleanField(_("reminded"), default=False, editable=False)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    # Calls
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices,
                                 blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True,
                                                   blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    # Meetings
    start = models.DateTimeField(_("start"), null=True, blank=True)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("attendees"),
                                       blank=True, related_name="meetings_attended")
    contact_attendees = models.ManyToManyField(Contact, verbose_name=_("contact attendees"),
                                               blank=True, related_name="meetings_attended")

    # E-mails (the direction is shared with calls)
    email_from = models.EmailField(_("from"), blank=True)
    email_to = models.JSONField(_("to"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = LiveManager()
    everything = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-created"], name="activity_account_recent"),
            models.Index(fields=["contact", "-created"], name="activity_contact_recent"),
            models.Index(fields=["owner", "-id"], name="activity_owner_recent"),
            models.Index(fields=["assignee", "due"], name="activity_assignee_due"),
            models.Index(fields=["reminder_at"], name="activity_reminders_pending",
                         condition=Q(reminded=False, reminder_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=F("start")),
                name="activity_meeting_ends_after_start"),
        ]

    def __str__(self):
        return self.subject

    @property
    def when(self):
        """The moment the activity stands for on a timeline."""
        if self.kind == self.Kind.MEETING and self.start:
            return self.start
        if self.kind == self.Kind.EMAIL and self.sent_at:
            return self.sent_at
        return self.created

    @property
    def is_open_task(self) -> bool:
        return self.kind == self.Kind.TASK and self.done_at is None

    @property
    def duration_minutes(self) -> int | None:
        if self.duration_seconds is None:
            return None
        return round(self.duration_seconds / 60)

    def soft_delete(self) -> None:
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at", "updated"])


class CalendarFeed(models.Model):
    """A user's private iCalendar address. Only a hash of its secret is stored: the address is
    shown once, when it is made; replacing or revoking it ends the old one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="calendar_feeds")
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(revoked__isnull=True),
                                    name="calendar_feed_one_live_per_user"),
        ]

    def __str__(self):
        return f"{self.user} {self.prefix}…"
