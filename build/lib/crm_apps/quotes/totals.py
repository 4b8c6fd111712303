"""Quote arithmetic in Decimal: line discount, then the quote's discount, then tax per line."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def money(value: Decimal) -> Decimal:
    """Round to cents the way invoices do (half up), never through float."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(line, quote_discount_percent: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, net, tax) of one line: gross is quantity × price; net is after the line's and
    the quote's discounts; tax is the line's rate applied to its net."""
    gross = money(line.quantity * line.unit_price)
    after_line = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
    net = money(after_line * (HUNDRED - quote_discount_percent) / HUNDRED)
    tax = money(net * line.tax_rate / HUNDRED)
    return gross, net, tax


def recompute(quote) -> None:
    """Recompute and store every line's amounts and the quote's totals."""
    from crm_apps.quotes.models import Quote, QuoteLine

    subtotal = net_sum = tax_sum = Decimal("0")
    lines = list(quote.lines.all())
    for line in lines:
        gross, net, tax = line_amounts(line, quote.discount_percent)
        line.net_amount, line.tax_amount, line.total_amount = net, tax, net + tax
        subtotal += gross
        net_sum += net
        tax_sum += tax
    QuoteLine.objects.bulk_update(lines, ["net_amount", "tax_amount", "total_amount"])
    quote.subtotal = money(subtotal)
    quote.discount_total = money(subtotal - net_sum)
    quote.tax_total = money(tax_sum)
    quote.total = money(net_sum + tax_sum)
    Quote.everything.filter(pk=quote.pk).update(
        subtotal=quote.subtotal, discount_total=quote.discount_total,
        tax_total=quote.tax_total, total=quote.total)
