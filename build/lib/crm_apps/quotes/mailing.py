"""Sending a quote to its contact: the branded PDF attached, a link to answer it in the portal,
in the quote's language, and an e-mail activity on the account's timeline."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import acting_as
from crm_apps.activities.models import Activity
from crm_apps.customization.documents import format_date, format_money
from crm_apps.customization.models import Branding
from crm_apps.quotes import totals
from crm_apps.quotes.errors import QuoteRecipientError, state_error
from crm_apps.quotes.models import Quote
from crm_apps.quotes.pdf import person_name, portal_link, render_quote_pdf

SENDABLE = (Quote.Status.DRAFT, Quote.Status.SENT)


def pdf_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


def send_quote(quote: Quote, *, by) -> Quote:
    """E-mail ``quote`` to its contact and mark it sent (a sent quote may be sent again).

    Raises QuoteStateError when the quote is no longer a draft or sent (accepted, declined,
    superseded, expired) and QuoteRecipientError when its contact has no e-mail address.
    The message goes out inside the transaction: if the mail server refuses it, the quote
    stays as it was and the sender sees the error, rather than a "sent" quote nobody got.
    """
    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.status not in SENDABLE:
            raise state_error(quote.status)
        contact = quote.contact
        if contact is None or contact.deleted_at is not None or not contact.email:
            raise QuoteRecipientError("no_recipient", gettext_lazy(
                "The quote's contact has no e-mail address: add one to the contact first."))
        totals.recompute(quote)
        now = timezone.now()
        quote.status, quote.sent_at = Quote.Status.SENT, now
        with acting_as(by):
            quote.save(update_fields=["status", "sent_at", "updated"])
        message = build_message(quote, by=by)
        Activity.objects.create(
            kind=Activity.Kind.EMAIL, direction=Activity.Direction.OUTBOUND, owner=by,
            subject=message.subject, body=message.body,
            email_from=getattr(by, "email", "") or settings.DEFAULT_FROM_EMAIL,
            email_to=list(message.to), sent_at=now, account_id=quote.account_id,
            contact=contact)
        message.send()
    return quote


def build_message(quote: Quote, *, by=None) -> EmailMultiAlternatives:
    """The e-mail to the quote's contact, text and HTML, with the PDF attached."""
    branding = Branding.current()
    language = quote.language
    with translation.override(language):
        company = branding.display_legal_name or getattr(connection.tenant, "name", "")
        context = {
            "quote": quote, "company": company, "language": language,
            "contact_name": person_name(quote.contact) if quote.contact.full_name else "",
            "sender_name": (by.get_full_name() or by.email) if by is not None else "",
            "total": format_money(quote.total, quote.currency, language),
            "valid_until": format_date(quote.valid_until, language),
            "link": portal_link(quote), "brand_color": branding.brand_color,
            "text_on_brand": branding.text_on_brand,
        }
        subject = _("Quote %(number)s from %(company)s") % {"number": quote.label,
                                                             "company": company}
        body = render_to_string("quotes/email/quote_sent.txt", context)
        html = render_to_string("quotes/email/quote_sent.html", context)
    reply_to = [by.email] if getattr(by, "email", "") else None
    message = EmailMultiAlternatives(subject=subject.strip(), body=body,
                                     from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[quote.contact.email], reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    message.attach(pdf_filename(quote), render_quote_pdf(quote, branding=branding),
                   "application/pdf")
    return message
