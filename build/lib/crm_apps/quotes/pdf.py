"""The quote as a PDF in the tenant's branding, written in the quote's language."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from crm_apps.customization import documents
from crm_apps.customization.documents import format_money, markup
from crm_apps.customization.models import Branding


def portal_link(quote) -> str:
    """The absolute link the customer opens to read, accept or decline ``quote``."""
    from core.tasks import tenant_url

    return tenant_url(f"/portal/quotes/{quote.access_token}/")


def person_name(contact) -> str:
    """The contact's name as people write it (张伟, Wei Zhang), or "" without a contact."""
    from crm_apps.customers.views import person_name as written_name

    return written_name(contact) if contact else ""


def render_quote_pdf(quote, *, branding: Branding | None = None,
                     compress: bool = True) -> bytes:
    """``quote`` (its stored totals: recompute them first) as PDF bytes."""
    branding = branding or Branding.current()
    language = quote.language
    with translation.override(language):
        story = _story(quote, branding, language)
        title = _("Quote %(number)s") % {"number": quote.label}
        footer_parts = [branding.display_legal_name, quote.label]
    footer = " · ".join(part for part in footer_parts if part)
    return documents.build_pdf(story, branding=branding, language=language, title=title,
                               footer=footer, compress=compress)


def _story(quote, branding: Branding, language: str) -> list:
    style = documents.styles(language, branding)
    brand = colors.HexColor(branding.brand_color)
    story = [documents.letterhead(branding, language, style), Spacer(1, 8 * mm),
             Paragraph(markup(_("Quote")), style["title"]),
             Spacer(1, 4 * mm)]
    story.append(_parties(quote, language, style))
    if quote.title:
        story += [Spacer(1, 4 * mm), Paragraph(f"<b>{markup(quote.title)}</b>", style["body"])]
    story += [Spacer(1, 4 * mm), _lines_table(quote, language, style, brand),
              Spacer(1, 3 * mm), _totals_table(quote, language, style, brand)]
    if quote.terms:
        story.append(KeepTogether([Paragraph(markup(_("Terms and notes")), style["heading"]),
                                   Paragraph(markup(quote.terms), style["body"])]))
    link = portal_link(quote)
    story.append(KeepTogether([
        Paragraph(markup(_("Accept or decline online")), style["heading"]),
        Paragraph(markup(_("Open this link to read the quote, accept it or decline it:")),
                  style["body"]),
        Paragraph(f'<link href="{markup(link)}" color="{branding.brand_color}">'
                  f"{markup(link)}</link>", style["small"]),
    ]))
    return story


def _parties(quote, language: str, style) -> Table:
    """The customer on the left; the quote's number, version and dates on the right."""
    contact = quote.contact
    customer = [f"<b>{markup(quote.account.name)}</b>"]
    if contact:
        customer.append(markup(person_name(contact)))
        if contact.email:
            customer.append(markup(contact.email))
    issued = timezone.localdate(quote.sent_at) if quote.sent_at else timezone.localdate()
    facts = [(_("Quote number"), quote.number), (_("Version"), str(quote.version)),
             (_("Date"), documents.format_date(issued, language))]
    if quote.valid_until:
        facts.append((_("Valid until"), documents.format_date(quote.valid_until, language)))
    right = "<br/>".join(f"{markup(label)}: <b>{markup(value)}</b>" for label, value in facts)
    table = Table([[Paragraph(markup(_("Prepared for")), style["heading"]), ""],
                   [Paragraph("<br/>".join(customer), style["body"]),
                    Paragraph(right, style["right"])]], colWidths=["55%", "45%"])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _lines_table(quote, language: str, style, brand) -> Table:
    def describe(line) -> str:
        text = markup(line.description)
        if line.sku:
            text += f'<br/><font size="7.5" color="#666666">{markup(line.sku)}</font>'
        return text

    return documents.lines_table(quote.lines.all(), quote.currency, language, style, brand,
                                 describe=describe)


def _totals_table(quote, language: str, style, brand) -> Table:
    money = [(_("Subtotal"), quote.subtotal)]
    if quote.discount_total:
        money.append((_("Discount"), -quote.discount_total))
    money += [(_("Tax"), quote.tax_total)]
    rows = [[Paragraph(markup(label), style["right"]),
             Paragraph(format_money(amount, quote.currency, language), style["right"])]
            for label, amount in money]
    rows.append([Paragraph(markup(_("Total (%(currency)s)") % {"currency": quote.currency}),
                           style["right_bold"]),
                 Paragraph(format_money(quote.total, quote.currency, language),
                           style["right_bold"])])
    table = Table(rows, colWidths=["80%", "20%"], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("LINEABOVE", (0, -1), (-1, -1), 1, brand),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table
