"""Agents' public replies by e-mail: threaded on the customer's mail, answerable by reply."""

import logging
import re
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.utils import translation
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crm_apps.service.inbound_models import InboundMailbox
from crm_apps.service.models import TicketMessage

logger = logging.getLogger(__name__)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
MAX_REFERENCES = 20


def recipient_of(ticket) -> str:
    contact = ticket.contact
    if contact is not None and contact.deleted_at is None and contact.email:
        return contact.email
    return ticket.requester_email


def reply_language(ticket, customer_text: str) -> str:
    """The contact's portal language when set, else Chinese if they wrote in Chinese."""
    contact = ticket.contact
    user = getattr(contact, "portal_user", None) if contact is not None else None
    if user is not None and user.preferred_language:
        return user.preferred_language
    if CHINESE.search(customer_text or "") or CHINESE.search(ticket.subject):
        return "zh-hans"
    return settings.LANGUAGE_CODE


def reply_subject(ticket) -> str:
    subject = re.sub(r"\s*\[T-\d+\]", "", ticket.subject).strip()
    subject = re.sub(r"^(?:(?:re|aw|fw|fwd|回复|答复)\s*[:：]\s*)+", "", subject, flags=re.I)
    return f"Re: {subject} [{ticket.number}]"


def build_reply(message: TicketMessage) -> EmailMultiAlternatives | None:
    """The e-mail of a staff public reply, or None when the ticket has nobody to write to."""
    ticket = message.ticket
    recipient = recipient_of(ticket)
    if not recipient:
        return None
    earlier = list(ticket.messages.filter(id__lt=message.id, visibility="public")
                   .exclude(message_id="").order_by("id"))
    from_customer = [item for item in earlier if item.author_id is None]
    last_customer = from_customer[-1] if from_customer else None
    language = reply_language(ticket, last_customer.body if last_customer else ticket.description)
    mailbox = InboundMailbox.current()
    company = getattr(connection.tenant, "name", "")
    with translation.override(language):
        agent = message.author.get_full_name() if message.author_id else ""
        signature = agent or company
        footer = _("Reply to this e-mail to add to ticket %(number)s.") % {
            "number": ticket.number}
        text = f"{message.body}\n\n-- \n{signature}\n{footer}\n"
        html = format_html(
            '<div style="font-family:sans-serif">{}<p style="color:#555">-- <br>{}</p>'
            '<p style="color:#777;font-size:small">{}</p></div>',
            # linebreaks() escapes the text itself (autoescape) and returns plain markup.
            mark_safe(linebreaks(message.body, autoescape=True)), signature, footer)  # noqa: S308
    headers = {"Message-ID": make_msgid(domain=connection.tenant.hostname)}
    if last_customer is not None:
        headers["In-Reply-To"] = last_customer.message_id
    references = [item.message_id for item in earlier][-MAX_REFERENCES:]
    if references:
        headers["References"] = " ".join(references)
    email = EmailMultiAlternatives(
        subject=reply_subject(ticket), body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient], reply_to=[mailbox.inbound_address], headers=headers)
    email.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.name, handle.read(), attachment.content_type)
    return email


def send_reply(message: TicketMessage) -> bool:
    """E-mail a staff public reply to the ticket's contact (or requester) and keep its
    Message-ID on the message, so the customer's answer threads back onto the ticket."""
    email = build_reply(message)
    if email is None:
        return False
    try:
        email.send()
    except (smtplib.SMTPException, OSError):
        # The reply is saved and shown in the portal; a mail server refusing must not undo it.
        logger.exception("ticket reply %s could not be e-mailed", message.pk)
        return False
    message.message_id = email.extra_headers["Message-ID"]
    message.save(update_fields=["message_id"])
    return True
