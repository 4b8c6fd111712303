"""Invoice e-mails in the invoice's language with its PDF attached: sent by hand (recorded as an
e-mail activity on the account), and the automatic ones (overdue reminders, payment receipts)
marked as mail no person wrote."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.tasks import AUTO_GENERATED
from crm_apps.billing.errors import RecipientError, state_error
from crm_apps.billing.models import Invoice
from crm_apps.billing.pdf import person_name, portal_link, render_invoice_pdf
from crm_apps.customization.documents import format_date, format_money
from crm_apps.customization.models import Branding

KINDS = ("invoice", "reminder", "receipt")


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number or f'draft-{invoice.pk}'}.pdf"


def recipient(invoice: Invoice) -> str:
    """The contact's e-mail address, or "" when there is nobody to write to."""
    contact = invoice.contact
    if contact is None or contact.deleted_at is not None:
        return ""
    return contact.email or ""


def send_invoice(invoice: Invoice, *, by) -> Invoice:
    """E-mail an issued invoice to its contact, and log the e-mail on the account's timeline.

    Raises InvoiceStateError for a draft or void invoice and RecipientError when its contact
    has no e-mail address. The message goes out inside the transaction: if the mail server
    refuses it, nothing is recorded as sent."""
    from crm_apps.activities.models import Activity

    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
            "account", "contact").get(pk=invoice.pk)
        if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
            raise state_error(invoice.status)
        if not recipient(invoice):
            raise RecipientError("no_recipient", gettext_lazy(
                "The invoice's contact has no e-mail address: add one to the contact first."))
        now = timezone.now()
        message = build_message(invoice, kind="invoice", by=by)
        Activity.objects.create(
            kind=Activity.Kind.EMAIL, direction=Activity.Direction.OUTBOUND, owner=by,
            subject=message.subject, body=message.body,
            email_from=getattr(by, "email", "") or settings.DEFAULT_FROM_EMAIL,
            email_to=list(message.to), sent_at=now, account_id=invoice.account_id,
            contact=invoice.contact)
        Invoice.objects.filter(pk=invoice.pk).update(sent_at=now)
        invoice.sent_at = now
        message.send()
    return invoice


def send_automatic(invoice: Invoice, *, kind: str, also=()) -> bool:
    """Send the automatic ``kind`` message ("invoice", "reminder" or "receipt") of an issued
    invoice to its contact and the addresses ``also`` (the payer of a receipt); False when
    there is nobody to write to."""
    to = list(dict.fromkeys(address for address in (recipient(invoice), *also) if address))
    if not to:
        return False
    message = build_message(invoice, kind=kind)
    message.to = to
    message.extra_headers.update(AUTO_GENERATED)
    message.send()
    if kind == "invoice":
        Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.now())
    return True


def build_message(invoice: Invoice, *, kind: str = "invoice",
                  by=None) -> EmailMultiAlternatives:
    """The e-mail to the invoice's contact, text and HTML, with the PDF attached."""
    if kind not in KINDS:
        raise ValueError(kind)
    branding = Branding.current()
    language = invoice.language
    with translation.override(language):
        company = branding.display_legal_name or getattr(connection.tenant, "name", "")
        contact = invoice.contact
        context = {
            "invoice": invoice, "kind": kind, "company": company, "language": language,
            "contact_name": person_name(contact) if contact and contact.full_name else "",
            "sender_name": (by.get_full_name() or by.email) if by is not None else "",
            "total": format_money(invoice.total, invoice.currency, language),
            "due": format_money(invoice.open_amount, invoice.currency, language),
            "paid": format_money(invoice.paid_total, invoice.currency, language),
            "due_date": format_date(invoice.due_date, language),
            "link": portal_link(invoice), "brand_color": branding.brand_color,
            "text_on_brand": branding.text_on_brand,
        }
        values = {"number": invoice.number, "company": company}
        subject = {
            "invoice": _("Invoice %(number)s from %(company)s"),
            "reminder": _("Reminder: invoice %(number)s from %(company)s is overdue"),
            "receipt": _("Receipt for invoice %(number)s from %(company)s"),
        }[kind] % values
        body = render_to_string("billing/email/invoice.txt", context)
        html = render_to_string("billing/email/invoice.html", context)
        attachment = render_invoice_pdf(invoice, branding=branding)
    reply_to = [by.email] if getattr(by, "email", "") else None
    message = EmailMultiAlternatives(subject=subject.strip(), body=body,
                                     from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[recipient(invoice)], reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    message.attach(pdf_filename(invoice), attachment, "application/pdf")
    return message
