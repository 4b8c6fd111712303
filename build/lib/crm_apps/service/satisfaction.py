"""Satisfaction surveys: sent once when a ticket is resolved, answered with one click, and a
live alert to the agent when a customer is unhappy."""

import re

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import schema_context

from core import audit
from core.tasks import AUTO_GENERATED, send_email, tenant_url
from crm_apps.customization.models import Branding
from crm_apps.service.models import SatisfactionSurvey, Ticket
from realtime import kinds
from realtime.services import notify

SCORES = (1, 2, 3, 4, 5)
LOW_SCORE = 2  # a score at or under this one alerts the agent
SATISFIED_FROM = 4  # "satisfied" in the reports: 4 and 5
COMMENT_MAX_LENGTH = 2000
CJK = re.compile(r"[\u3400-\u9fff]")

LOW_SCORE_KIND = kinds.register("service.low_satisfaction",
                                gettext_lazy("Low satisfaction scores on my tickets"),
                                audience=kinds.STAFF, email_default=True)
# Answers come from customers without a login: every change is kept in the audit trail.
audit.register(SatisfactionSurvey)


class SurveyError(ValueError):
    """An answer that cannot be recorded; ``message`` is for the customer."""

    status = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def survey_link(survey: SatisfactionSurvey, score: int | None = None) -> str:
    """The absolute link of the survey page on the tenant's host, optionally with a score."""
    path = reverse("survey:answer", args=[survey.token])
    return tenant_url(f"{path}?score={score}" if score else path)


def recipient_of(ticket: Ticket) -> str:
    """Where the survey goes: the ticket's contact, else whoever wrote in by e-mail."""
    contact = ticket.contact
    if contact is not None and contact.deleted_at is None and contact.email:
        return contact.email
    return ticket.requester_email


def language_of(ticket: Ticket) -> str:
    """The customer's language: their portal choice, else Chinese when they wrote in Chinese,
    else the site's language."""
    contact = ticket.contact
    user = getattr(contact, "portal_user", None) if contact is not None else None
    if user is not None and user.preferred_language:
        return user.preferred_language
    if CJK.search(f"{ticket.subject} {ticket.description}"):
        return "zh-hans"
    return settings.LANGUAGE_CODE


def send_survey(ticket: Ticket) -> SatisfactionSurvey:
    """Create the ticket's survey (once) with the agent and team handling it now, and e-mail
    it to the customer when the transaction commits.

    A ticket resolved again after a reopen keeps its one survey: if the customer already
    answered, their score stands (the link still lets them change it) and nothing is sent;
    if they never answered, the same survey is sent again, credited to whoever resolved the
    ticket this time.
    """
    with transaction.atomic():
        survey, created = SatisfactionSurvey.objects.select_for_update().get_or_create(
            ticket=ticket, defaults={"agent_id": ticket.owner_id, "team_id": ticket.team_id})
        if not created:
            if survey.score is not None:
                return survey
            survey.agent_id, survey.team_id = ticket.owner_id, ticket.team_id
            survey.save(update_fields=["agent", "team"])
            survey.sent_at = timezone.now()
            SatisfactionSurvey.objects.filter(pk=survey.pk).update(sent_at=survey.sent_at)
        address = recipient_of(ticket)
        if address:
            message = survey_message(survey, ticket, address)
            schema = connection.schema_name
            transaction.on_commit(lambda: _queue(schema, message))
    return survey


def survey_message(survey: SatisfactionSurvey, ticket: Ticket, address: str) -> dict:
    """The keyword arguments of ``core.send_email``: text and HTML with five score links."""
    language = language_of(ticket)
    branding = Branding.current()
    with translation.override(language):
        company = branding.display_legal_name or getattr(connection.tenant, "name", "")
        contact = ticket.contact
        context = {
            "ticket": ticket, "company": company, "language": language,
            "contact_name": contact.full_name if contact is not None else "",
            "links": [(score, survey_link(survey, score)) for score in SCORES],
            "page": survey_link(survey), "brand_color": branding.brand_color,
            "text_on_brand": branding.text_on_brand,
        }
        subject = _("How did we do? %(number)s %(subject)s") % {
            "number": ticket.number, "subject": ticket.subject}
        return {
            "to": [address], "subject": subject[:250],
            "body": render_to_string("service/email/survey.txt", context),
            "html": render_to_string("service/email/survey.html", context),
            "headers": AUTO_GENERATED,
        }


def _queue(schema: str, message: dict) -> None:
    with schema_context(schema):
        send_email.delay(**message)


def clean_score(raw) -> int:
    """``raw`` as a score from 1 to 5, or SurveyError."""
    try:
        score = int(str(raw).strip())
    except (TypeError, ValueError):
        score = None
    if score not in SCORES:
        raise SurveyError(gettext_lazy("Choose a score from 1 to 5."))
    return score


def answer(survey: SatisfactionSurvey, score, comment: str | None = None
           ) -> SatisfactionSurvey:
    """Record (or change) the customer's score, and their comment unless ``comment`` is None.

    The same answer twice changes nothing, so a link opened again (or by a mail scanner)
    is harmless. A score that becomes low (``LOW_SCORE`` or under) alerts the agent live.
    """
    score = clean_score(score)
    if comment is not None:
        comment = comment.strip()
        if len(comment) > COMMENT_MAX_LENGTH:
            raise SurveyError(format_lazy(gettext_lazy(
                "Keep the comment under {count} characters."), count=COMMENT_MAX_LENGTH))
    with transaction.atomic():
        current = SatisfactionSurvey.objects.select_for_update().get(pk=survey.pk)
        previous = current.score
        comment = current.comment if comment is None else comment
        if (previous, current.comment) == (score, comment):
            return current
        current.score, current.comment = score, comment
        # The first answer dates the survey in the reports; later changes keep that month.
        current.answered_at = current.answered_at or timezone.now()
        current.save(update_fields=["score", "comment", "answered_at"])
        if score <= LOW_SCORE and (previous is None or previous > LOW_SCORE):
            _alert_low_score(current)
    return current


def _alert_low_score(survey: SatisfactionSurvey) -> None:
    """Tell the agent (or, for a ticket nobody held, the team lead)."""
    ticket = survey.ticket
    recipient = survey.agent_id or (survey.team.lead_id if survey.team_id else None)
    if recipient is None:
        return
    title = format_lazy(gettext_lazy("Score {score}/5 on {number}"), score=survey.score,
                        number=ticket.number)
    body = format_lazy(gettext_lazy("“{subject}”: {comment}"), subject=ticket.subject,
                       comment=survey.comment or "—")
    notify([recipient], kind=LOW_SCORE_KIND.code, title=title, body=body,
           link=ticket_link(ticket))


def ticket_link(ticket: Ticket) -> str:
    return reverse("service:ticket-detail", args=[ticket.pk])
