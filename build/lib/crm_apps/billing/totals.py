"""Invoice arithmetic, the quotes' own: line discount, then the invoice's discount, then tax per
line, cents rounded half up; summed into the invoice's totals."""

from decimal import Decimal

from crm_apps.quotes.totals import line_amounts, money

__all__ = ["line_amounts", "money", "recompute"]


def recompute(invoice) -> None:
    """Recompute and store every line's amounts and the invoice's totals."""
    from crm_apps.billing.models import Invoice, InvoiceLine

    subtotal = net_sum = tax_sum = Decimal("0")
    lines = list(invoice.lines.all())
    for line in lines:
        gross, net, tax = line_amounts(line, invoice.discount_percent)
        line.net_amount, line.tax_amount, line.total_amount = net, tax, net + tax
        subtotal += gross
        net_sum += net
        tax_sum += tax
    InvoiceLine.objects.bulk_update(lines, ["net_amount", "tax_amount", "total_amount"])
    invoice.subtotal = money(subtotal)
    invoice.discount_total = money(subtotal - net_sum)
    invoice.tax_total = money(tax_sum)
    invoice.total = money(net_sum + tax_sum)
    Invoice.objects.filter(pk=invoice.pk).update(
        subtotal=invoice.subtotal, discount_total=invoice.discount_total,
        tax_total=invoice.tax_total, total=invoice.total)
