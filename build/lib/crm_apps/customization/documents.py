"""Building blocks of the PDF documents a tenant sends (quotes, later invoices): fonts per
language, the branded letterhead and footer, amounts and dates written the reader's way."""

from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from itertools import groupby
from xml.sax.saxutils import escape

from django.utils import formats, numberformat, translation
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table, TableStyle

from crm_apps.customization.models import Branding

# Built into reportlab (Adobe's Asian font pack metrics): PDF readers supply the glyphs, so
# no font file ships with the project. It also covers Latin letters and digits.
CJK_FONT = "STSong-Light"
LATIN_FONT, LATIN_BOLD = "Helvetica", "Helvetica-Bold"
MARGIN = 18 * mm
LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT = 45 * mm, 18 * mm
# Symbols readers of each language expect in front of an amount; other currencies show
# their ISO code.
CURRENCY_SYMBOLS = {"zh-hans": {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$"}}


def is_chinese(language: str) -> bool:
    return (language or "").lower().startswith("zh")


def register_fonts() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _needs_cjk_glyph(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def needs_cjk_font(text: str) -> bool:
    """Whether Helvetica (WinAnsi) cannot draw all of ``text``, e.g. a Chinese name."""
    return any(_needs_cjk_glyph(char) for char in text)


def _runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (font, chunk) runs: Chinese in the CID font, the rest in Helvetica,
    whose Latin letters and digits read better than the CID font's."""
    return [(CJK_FONT if cjk else LATIN_FONT, "".join(chars))
            for cjk, chars in groupby(text, key=_needs_cjk_glyph)]


def markup(text) -> str:
    """``text`` escaped for a Paragraph, its Chinese runs in the CID font; line breaks
    kept."""
    register_fonts()
    parts = []
    for font, chunk in _runs(str(text or "")):
        escaped = escape(chunk).replace("\n", "<br/>")
        parts.append(f'<font name="{font}">{escaped}</font>' if font == CJK_FONT else escaped)
    return "".join(parts)


def draw_text(canvas, x: float, y: float, text: str, size: float, *,
              align_right: bool = False) -> None:
    """Draw one line straight on the canvas, switching fonts like :func:`markup`."""
    register_fonts()
    runs = _runs(text)
    if align_right:
        x -= sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in runs)
    for font, chunk in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)


def styles(language: str, branding: Branding) -> dict[str, ParagraphStyle]:
    regular, bold = LATIN_FONT, LATIN_BOLD
    brand_color, on_brand = branding.brand_color, colors.HexColor(branding.text_on_brand)
    # Chinese lines wrap between any two characters; Latin ones between words.
    wrap = "CJK" if is_chinese(language) else None
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, wordWrap=wrap)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5,
                                textColor=colors.HexColor("#555555")),
        "bold": ParagraphStyle("bold", parent=base, fontName=bold),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "right_bold": ParagraphStyle("right_bold", parent=base, fontName=bold,
                                     alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=20, leading=24,
                                textColor=colors.HexColor(brand_color)),
        "heading": ParagraphStyle("heading", parent=base, fontName=bold, fontSize=10.5,
                                  leading=14, spaceBefore=8, spaceAfter=3,
                                  textColor=colors.HexColor(brand_color)),
        "on_brand": ParagraphStyle("on_brand", parent=base, fontName=bold,
                                   textColor=on_brand),
        "on_brand_right": ParagraphStyle("on_brand_right", parent=base, fontName=bold,
                                         alignment=TA_RIGHT, textColor=on_brand),
    }


def _thousands() -> str:
    # Django's Chinese formats leave the separator empty; amounts on Chinese business
    # documents are grouped with commas all the same (¥135,727.20).
    return formats.get_format("THOUSAND_SEPARATOR") or ","


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """``amount`` (a Decimal, never a float) grouped and with two decimals as ``language``
    writes it: "CNY 1,234.50" in English, "¥1,234.50" in Chinese."""
    # Rounded half up to cents, as the amounts were computed (never through float).
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    with translation.override(language):
        number = numberformat.format(abs(amount), formats.get_format("DECIMAL_SEPARATOR"),
                                     decimal_pos=2, grouping=3, thousand_sep=_thousands(),
                                     force_grouping=True)
    sign = "-" if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(language, {}).get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}".strip()


def format_quantity(quantity: Decimal, language: str) -> str:
    """A quantity without needless decimals: 2, 1.5."""
    quantity = Decimal(quantity)
    places = max(0, -quantity.normalize().as_tuple().exponent)
    with translation.override(language):
        return numberformat.format(quantity, formats.get_format("DECIMAL_SEPARATOR"),
                                   decimal_pos=places, grouping=3, force_grouping=True,
                                   thousand_sep=_thousands())


def format_date(value, language: str) -> str:
    if value is None:
        return ""
    with translation.override(language):
        return formats.date_format(value, "DATE_FORMAT")


def logo_image(branding: Branding) -> Image | None:
    """The tenant's logo scaled into the letterhead's box, or None without a readable one."""
    if not branding.logo:
        return None
    try:
        with branding.logo.open("rb") as stored:
            data = stored.read()
        width, height = ImageReader(BytesIO(data)).getSize()
    except (OSError, ValueError):  # a file removed from the storage, or unreadable
        return None
    scale = min(LOGO_MAX_WIDTH / width, LOGO_MAX_HEIGHT / height)
    return Image(BytesIO(data), width=width * scale, height=height * scale)


def letterhead(branding: Branding, language: str, style: dict) -> Table:
    """Logo on the left, the legal name, address, tax ID and contact line on the right."""
    with translation.override(language):
        name = branding.display_legal_name
        lines = [f"<b>{markup(name)}</b>"] if name else []
        lines += [markup(line) for line in branding.display_address_lines]
        if branding.tax_id:
            lines.append(markup(translation.gettext("Tax ID: %(tax_id)s")
                                % {"tax_id": branding.tax_id}))
        if branding.contact_line:
            lines.append(markup(branding.contact_line))
    legal = Paragraph("<br/>".join(lines), style["right"]) if lines else ""
    logo = logo_image(branding) or ""
    table = Table([[logo, legal]], colWidths=["45%", "55%"])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, 0), 2, colors.HexColor(branding.brand_color)),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def build_pdf(story: list, *, branding: Branding, language: str, title: str,
              footer: str = "", compress: bool = True) -> bytes:
    """Lay ``story`` out on A4 pages with a brand-coloured band and a numbered footer.

    ``compress=False`` writes plain content streams (and fixed ids and dates), which tests
    read back.
    """
    brand = colors.HexColor(branding.brand_color)
    with translation.override(language):
        page_label = translation.gettext("Page %(number)d")

    def decorate(canvas, document):
        canvas.saveState()
        canvas.setFillColor(brand)
        canvas.rect(0, A4[1] - 6 * mm, A4[0], 6 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor("#666666"))
        draw_text(canvas, MARGIN, 10 * mm, footer, 7.5)
        draw_text(canvas, A4[0] - MARGIN, 10 * mm, page_label % {"number": document.page},
                  7.5, align_right=True)
        canvas.restoreState()

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=title, author=branding.legal_name or "",
        lang=language, pageCompression=1 if compress else 0, invariant=0 if compress else 1)
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def lines_table(lines, currency: str, language: str, style, brand, *, describe=None) -> Table:
    """The lines of a quote or an invoice: description, quantity, unit price, discount, tax
    and total, under a header in the brand's colour. ``describe`` writes a line's first cell
    (markup), by default its description."""
    _ = translation.gettext  # at call time: the document is rendered in its own language
    describe = describe or (lambda line: markup(line.description))
    on_brand, on_brand_right = style["on_brand"], style["on_brand_right"]
    header = [Paragraph(markup(_("Description")), on_brand)] + [
        Paragraph(markup(text), on_brand_right)
        for text in (_("Qty"), _("Unit price"), _("Discount"), _("Tax"), _("Total"))]
    rows = [header]
    for line in lines:
        rows.append([
            Paragraph(describe(line), style["body"]),
            Paragraph(format_quantity(line.quantity, language), style["right"]),
            Paragraph(format_money(line.unit_price, currency, language), style["right"]),
            Paragraph(f"{line.discount_percent.normalize():f}%" if line.discount_percent
                      else "–", style["right"]),
            Paragraph(f"{line.tax_rate.normalize():f}%" if line.tax_rate else "–",
                      style["right"]),
            Paragraph(format_money(line.total_amount, currency, language), style["right"]),
        ])
    if len(rows) == 1:
        rows.append([Paragraph(markup(_("No lines yet.")), style["small"]), "", "", "", "", ""])
    table = Table(rows, colWidths=["33%", "8%", "17%", "12%", "9%", "21%"], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), brand),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f7f9")]),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table
