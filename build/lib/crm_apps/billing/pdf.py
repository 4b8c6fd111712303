"""The invoice as a PDF in the tenant's branding, written in the invoice's language."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from crm_apps.customization import documents
from crm_apps.customization.documents import format_money, markup
from crm_apps.customization.models import Branding
from crm_apps.quotes.pdf import person_name

__all__ = ["person_name", "portal_link", "render_invoice_pdf"]


def portal_link(invoice) -> str:
    """Where the customer sees (and pays) their invoices in the portal."""
    from core.tasks import tenant_url

    return tenant_url("/portal/invoices/")


def render_invoice_pdf(invoice, *, branding: Branding | None = None,
                       compress: bool = True) -> bytes:
    """``invoice`` (its stored totals) as PDF bytes."""
    branding = branding or Branding.current()
    language = invoice.language
    with translation.override(language):
        story = _story(invoice, branding, language)
        title = _("Invoice %(number)s") % {"number": invoice.number or _("draft")}
        footer_parts = [branding.display_legal_name, invoice.number]
    footer = " · ".join(part for part in footer_parts if part)
    return documents.build_pdf(story, branding=branding, language=language, title=title,
                               footer=footer, compress=compress)


def _story(invoice, branding: Branding, language: str) -> list:
    style = documents.styles(language, branding)
    brand = colors.HexColor(branding.brand_color)
    heading = _("Invoice") if invoice.number else _("Draft invoice")
    if invoice.status == "void":
        heading = _("Void invoice")
    story = [documents.letterhead(branding, language, style), Spacer(1, 8 * mm),
             Paragraph(markup(heading), style["title"]), Spacer(1, 4 * mm),
             _parties(invoice, language, style), Spacer(1, 4 * mm),
             _lines_table(invoice, language, style, brand), Spacer(1, 3 * mm),
             _totals_table(invoice, language, style, brand)]
    if invoice.notes:
        story.append(KeepTogether([Paragraph(markup(_("Notes")), style["heading"]),
                                   Paragraph(markup(invoice.notes), style["body"])]))
    if invoice.open_amount > 0:
        link = portal_link(invoice)
        story.append(KeepTogether([
            Paragraph(markup(_("Pay online")), style["heading"]),
            Paragraph(f'<link href="{markup(link)}" color="{branding.brand_color}">'
                      f"{markup(link)}</link>", style["small"]),
        ]))
    return story


def _parties(invoice, language: str, style) -> Table:
    """The customer on the left; the number, dates and period on the right."""
    contact = invoice.contact
    customer = [f"<b>{markup(invoice.account.name)}</b>"]
    if contact:
        customer.append(markup(person_name(contact)))
        if contact.email:
            customer.append(markup(contact.email))
    issued = invoice.issue_date or timezone.localdate()
    facts = [(_("Invoice number"), invoice.number or "—"),
             (_("Issue date"), documents.format_date(issued, language))]
    if invoice.due_date:
        facts.append((_("Due date"), documents.format_date(invoice.due_date, language)))
    if invoice.period_start and invoice.period_end:
        start = documents.format_date(invoice.period_start, language)
        end = documents.format_date(invoice.period_end, language)
        facts.append((_("Period"), f"{start} – {end}"))
    if invoice.order_id:
        facts.append((_("Order"), invoice.order.number))
    facts.append((_("Status"), str(invoice.get_status_display())))
    right = "<br/>".join(f"{markup(label)}: <b>{markup(value)}</b>" for label, value in facts)
    table = Table([[Paragraph(markup(_("Bill to")), style["heading"]), ""],
                   [Paragraph("<br/>".join(customer), style["body"]),
                    Paragraph(right, style["right"])]], colWidths=["55%", "45%"])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _lines_table(invoice, language: str, style, brand) -> Table:
    return documents.lines_table(invoice.lines.all(), invoice.currency, language, style, brand)


def _totals_table(invoice, language: str, style, brand) -> Table:
    money = [(_("Subtotal"), invoice.subtotal)]
    if invoice.discount_total:
        money.append((_("Discount"), -invoice.discount_total))
    money += [(_("Tax"), invoice.tax_total)]
    rows = [[Paragraph(markup(label), style["right"]),
             Paragraph(format_money(amount, invoice.currency, language), style["right"])]
            for label, amount in money]
    rows.append([Paragraph(markup(_("Total (%(currency)s)") % {"currency": invoice.currency}),
                           style["right_bold"]),
                 Paragraph(format_money(invoice.total, invoice.currency, language),
                           style["right_bold"])])
    after = []
    if invoice.paid_total:
        after.append((_("Paid"), -invoice.paid_total))
    if invoice.refunded_total:
        after.append((_("Refunded"), invoice.refunded_total))
    if invoice.number:
        after.append((_("Amount due"), invoice.open_amount))
    rows += [[Paragraph(markup(label), style["right"]),
              Paragraph(format_money(amount, invoice.currency, language), style["right"])]
             for label, amount in after]
    table = Table(rows, colWidths=["80%", "20%"], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("LINEABOVE", (0, len(money)), (-1, len(money)), 1, brand),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table
