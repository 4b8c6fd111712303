"""Tickets, their messages and attachments, and links between tickets."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_apps.customers.models import Account, Contact, OwnedRecord, Tag
from crm_apps.customers.numbering import NumberedFromId

NUMBER_PREFIX = "T-"


class Ticket(NumberedFromId, OwnedRecord):
    """A customer's request. ``owner`` is the assignee and ``team`` the team handling it, so
    the owned-record visibility rule (own, team, all by role) applies as for deals."""

    number_prefix = NUMBER_PREFIX

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        EMAIL = "email", pgettext_lazy("channel", "E-mail")
        PHONE = "phone", _("Phone")
        WEB_FORM = "web_form", _("Web form")
        STAFF = "staff", _("Entered by staff")

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        INCIDENT = "incident", _("Incident")
        SERVICE_REQUEST = "service_request", _("After-sales service request")
        COMPLAINT = "complaint", _("Complaint")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        OPEN = "open", pgettext_lazy("ticket status", "Open")
        PENDING = "pending", _("Pending customer")
        ON_HOLD = "on_hold", _("On hold")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", pgettext_lazy("ticket status", "Closed")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices,
                               default=Channel.STAFF)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices,
                            default=Kind.QUESTION)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.NEW)
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="tickets")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="tickets")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    product = models.ForeignKey("catalogue.Product", verbose_name=_("product"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey("order.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="tickets")
    # The address replies go to when the ticket came by e-mail from someone not yet a contact.
    requester_email = models.EmailField(_("requester e-mail"), blank=True)

    # SLA clocks, set by crm_apps.service.sla from the matching policy; jobs warn and escalate.
    sla_policy = models.ForeignKey("service.SlaPolicy", verbose_name=_("SLA policy"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    sla_warned_at = models.DateTimeField(_("SLA warning sent"), null=True, blank=True,
                                         editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    # The clocks stop while the ticket waits on the customer or is on hold: since when, and
    # the working minutes already spent stopped (the due times were moved on by them).
    sla_paused_at = models.DateTimeField(_("SLA clock paused since"), null=True, blank=True,
                                         editable=False)
    sla_paused_minutes = models.PositiveIntegerField(_("SLA minutes paused"), default=0,
                                                     editable=False)

    # Complaints: severity, and what must be recorded and signed off before closing.
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices,
                                blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed off by"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)

    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True,
                                    blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_tickets")
    linked = models.ManyToManyField("self", verbose_name=_("linked tickets"), blank=True,
                                    symmetrical=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="ticket_owner_queue"),
            models.Index(fields=["team", "status", "-id"], name="ticket_team_queue"),
            models.Index(fields=["status", "-id"], name="ticket_status_recent"),
            models.Index(fields=["contact", "-id"], name="ticket_contact_recent"),
            models.Index(fields=["account", "-id"], name="ticket_account_recent"),
            models.Index(fields=["resolution_due"], name="ticket_resolution_due",
                         condition=Q(resolved_at__isnull=True)),
            models.Index(fields=["first_response_due"], name="ticket_first_response_due",
                         condition=Q(first_responded_at__isnull=True)),
            # The "All" tab counts exactly these rows: an index-only scan instead of the table.
            models.Index(fields=["id"], name="ticket_in_queues",
                         condition=Q(deleted_at__isnull=True, merged_into__isnull=True)),
        ]
        constraints = [
            # A complaint is closed only with its cause, its correction and a sign-off, or
            # as a duplicate merged into the ticket that carries on.
            models.CheckConstraint(
                condition=~Q(kind="complaint", status="closed")
                | Q(merged_into__isnull=False)
                | (~Q(root_cause="") & ~Q(corrective_action="")
                   & Q(signed_off_at__isnull=False)),
                name="ticket_complaint_closed_signed_off"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def is_complaint(self) -> bool:
        return self.kind == self.Kind.COMPLAINT

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.CLOSED)


class TicketMessage(models.Model):
    """One entry of a ticket's conversation: a public reply (the customer sees it) or an
    internal note (staff only), written by staff, by the customer, or received by e-mail."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE,
                               related_name="messages")
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    body = models.TextField(_("message"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+")
    author_contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="+")
    author_email = models.EmailField(_("from"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Ticket.Channel.choices,
                               default=Ticket.Channel.STAFF)
    # E-mail threading: our Message-ID for outgoing replies, the sender's for incoming mail.
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["ticket", "created", "id"]

    def __str__(self):
        return f"{self.ticket.number}: {self.body[:40]}"

    @property
    def from_customer(self) -> bool:
        return self.author_id is None


def attachment_path(instance, filename: str) -> str:
    """Stored under the tenant's schema name and a random folder: names never collide and
    are never guessed; the original (cleaned) name is kept in the row."""
    import secrets

    from django.db import connection

    return f"tickets/{connection.schema_name}/{secrets.token_hex(16)}/{filename}"


class TicketAttachment(models.Model):
    """A file sent with a message; served only through a view that checks who may see it."""

    message = models.ForeignKey(TicketMessage, verbose_name=_("message"),
                                on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.name


# SLA policies, working hours and holidays, assignment rules, canned replies and
# satisfaction surveys live in their own modules.
from crm_apps.service.desk_models import (  # noqa: E402, F401
    BusinessHours,
    CannedReply,
    Holiday,
    SatisfactionSurvey,
    SlaPolicy,
    TicketAssignmentRule,
)
from crm_apps.service.inbound_models import InboundMailbox  # noqa: E402, F401
