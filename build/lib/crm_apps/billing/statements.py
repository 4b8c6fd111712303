"""An account's statement for a date range: opening balance, the invoices, payments and refunds
of the range in date order with a running balance, and the closing balance.

Invoices are debits and payments credits. A refund gives money back and cancels that much of
the sale at once, so it is shown on both sides and leaves the balance as it was: the closing
balance of a range ending today is what ``services.balance`` says is owed."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from core.zones import tenant_zone_active
from crm_apps.billing.models import ZERO, Invoice, Payment, Refund

ISSUED = [Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID, Invoice.Status.PAID,
          Invoice.Status.OVERDUE, Invoice.Status.REFUNDED]


@dataclass(frozen=True)
class Entry:
    date: datetime.date
    kind: str  # "invoice", "payment" or "refund"
    invoice: Invoice
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass
class Statement:
    account: object
    currency: str
    start: datetime.date
    end: datetime.date
    opening_balance: Decimal = ZERO
    entries: list[Entry] = field(default_factory=list)
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.invoiced - self.paid


def main_currency(account) -> str:
    """The currency most of the account's issued invoices are in (CNY without any)."""
    row = (Invoice.objects.filter(account=account, status__in=ISSUED).values("currency")
           .annotate(count=Count("pk")).order_by("-count", "currency").first())
    return row["currency"] if row else "CNY"


def _day(moment: datetime.datetime) -> datetime.date:
    with tenant_zone_active():
        return timezone.localdate(moment)


def statement(account, start: datetime.date, end: datetime.date,
              currency: str | None = None) -> Statement:
    """The statement of ``account`` from ``start`` to ``end`` (both included) in ``currency``
    (the account's main one when not given); days count in the tenant's time zone."""
    currency = (currency or main_currency(account)).upper()
    result = Statement(account=account, currency=currency, start=start, end=end)
    invoices = {invoice.pk: invoice for invoice in Invoice.objects.filter(
        account=account, currency=currency, status__in=ISSUED, issue_date__lte=end)}
    events = []  # (date, order within the day, pk, kind, invoice, reference, debit, credit)
    for invoice in invoices.values():
        events.append((invoice.issue_date, 0, invoice.pk, "invoice", invoice, invoice.number,
                       invoice.total, ZERO))
    for payment in Payment.objects.filter(invoice_id__in=invoices):
        events.append((_day(payment.received_at), 1, payment.pk, "payment",
                       invoices[payment.invoice_id], payment.reference or
                       payment.get_method_display(), ZERO, payment.amount))
    for row in Refund.objects.filter(payment__invoice_id__in=invoices).select_related("payment"):
        events.append((_day(row.refunded_at), 2, row.pk, "refund",
                       invoices[row.payment.invoice_id], row.reason, row.amount, row.amount))
    running = ZERO
    for day, _order, _pk, kind, invoice, reference, debit, credit in sorted(
            events, key=lambda event: event[:3]):
        if day > end:
            continue
        if day < start:
            running += debit - credit
            continue
        if not result.entries:
            result.opening_balance = running
        running += debit - credit
        result.entries.append(Entry(day, kind, invoice, str(reference), debit, credit, running))
        if kind == "invoice":
            result.invoiced += debit
        elif kind == "payment":
            result.paid += credit
        else:
            result.refunded += debit
    if not result.entries:
        result.opening_balance = running
    return result
