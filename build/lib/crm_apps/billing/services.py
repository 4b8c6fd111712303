"""Invoice operations: drafts (by hand, from an Oscar order, from a contract's billing period),
issuing with a gapless number, payments, refunds, voiding, overdue marking and reminders.

Every change locks the invoice row first (then the number sequence), so two requests at once
act one after the other and never pay, number or remind twice."""

import datetime
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.zones import tenant_zone_active
from crm_apps.billing.errors import AmountError, BillingError, state_error
from crm_apps.billing.models import (
    ZERO,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    Refund,
    format_number,
)
from crm_apps.billing.totals import money, recompute

log = logging.getLogger(__name__)

Status = Invoice.Status
PAYABLE = {Status.OPEN, Status.PARTIALLY_PAID, Status.OVERDUE}
# Only invoices nothing was paid on may be voided; the rest are refunded instead.
VOIDABLE = {Status.DRAFT, Status.OPEN, Status.OVERDUE}
# Days past the due date at which a reminder goes out (each once per invoice).
REMINDER_STEPS = (1, 7, 30)
LINE_FIELDS = ("description", "quantity", "unit_price", "discount_percent", "tax_rate")
HEADER_FIELDS = ("account", "contact", "currency", "language", "due_date", "discount_percent",
                 "notes")


def payment_terms_days() -> int:
    """Days from issue to due date when the invoice names none."""
    return getattr(settings, "INVOICE_PAYMENT_TERMS_DAYS", 30)


def tenant_today() -> datetime.date:
    with tenant_zone_active():
        return timezone.localdate()


def as_amount(value) -> Decimal:
    """A positive amount of money with at most two decimals, from a Decimal or its text;
    never through float. Raises AmountError otherwise."""
    if isinstance(value, float):
        raise AmountError("amount", _("Give the amount as a decimal number, such as 12.50."))
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AmountError("amount", _("Give the amount as a decimal number, such as 12.50.")) \
            from None
    if not amount.is_finite() or amount <= 0:
        raise AmountError("amount", _("The amount must be more than zero."))
    if amount != money(amount):
        raise AmountError("amount", _("Amounts have at most two decimals."))
    return money(amount)


def _locked(invoice) -> Invoice:
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    return Invoice.objects.select_for_update().get(pk=pk)


# --- drafts ---------------------------------------------------------------------------------

# Amounts are stored with 16 digits, two of them decimals.
LARGEST = Decimal("99999999999999.99")


def check_sizes(lines) -> None:
    """Raise AmountError when the lines would add up to more than an amount can hold."""
    total = Decimal("0")
    for values in lines:
        gross = Decimal(values.get("quantity") or 1) * Decimal(values.get("unit_price") or 0)
        total += gross * 2  # room for the tax on top, at most 100 %
    if total > LARGEST:
        raise AmountError("too_large", _("These lines add up to more than an invoice can "
                                         "hold; split them over several invoices."))


def _add_lines(invoice: Invoice, lines) -> None:
    check_sizes(lines)
    rows = []
    for position, values in enumerate(lines, start=1):
        fields = {name: values[name] for name in LINE_FIELDS if values.get(name) is not None}
        rows.append(InvoiceLine(invoice=invoice, position=position, **fields))
    InvoiceLine.objects.bulk_create(rows)
    recompute(invoice)


def create_manual(*, account, lines=(), contact=None, currency: str = "CNY",
                  language: str = Invoice.Language.ENGLISH, due_date=None,
                  discount_percent=ZERO, notes: str = "", **links) -> Invoice:
    """A draft invoice with ``lines`` (dicts of description, quantity, unit_price,
    discount_percent, tax_rate). ``links`` may name the order or contract and period."""
    with transaction.atomic():
        invoice = Invoice.objects.create(
            account=account, contact=contact, currency=(currency or "CNY").upper(),
            language=language, due_date=due_date, discount_percent=discount_percent or ZERO,
            notes=notes or "", **links)
        _add_lines(invoice, lines)
    return invoice


def update_draft(invoice: Invoice, *, lines=None, **fields) -> Invoice:
    """Change a draft's fields and, given ``lines``, replace all of them."""
    with transaction.atomic():
        current = _locked(invoice)
        if current.status != Status.DRAFT:
            raise state_error("not_draft")
        for name, value in fields.items():
            if name in HEADER_FIELDS:
                setattr(current, name, value)
        current.save()
        if lines is not None:
            current.lines.all().delete()
            _add_lines(current, lines)
        else:
            recompute(current)
    return current


def delete_draft(invoice: Invoice) -> None:
    """Drafts have no number yet, so deleting one leaves no gap; issued invoices are voided."""
    with transaction.atomic():
        current = _locked(invoice)
        if current.status != Status.DRAFT:
            raise state_error("not_draft")
        current.delete()


def create_from_order(order, *, language: str | None = None) -> Invoice:
    """The draft invoice of an Oscar order (one per order: asked again, the same invoice).

    An order made from an accepted quote takes the quote's account, contact, language and
    lines (their discounts and tax rates exactly); a store order takes the account of the
    contact whose portal login (or e-mail) placed it, and the order's lines and shipping.
    Raises BillingError when no account can be found for the order.
    """
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    quote = _quote_of(order)
    if quote is not None:
        values = {"account": quote.account, "contact": quote.contact,
                  "language": language or quote.language,
                  "discount_percent": quote.discount_percent,
                  "lines": [{name: getattr(line, name) for name in LINE_FIELDS}
                            for line in quote.lines.all()]}
    else:
        contact = _contact_of(order)
        if contact is None or contact.account_id is None:
            raise BillingError("no_account", _("No account was found for this order."))
        values = {"account": contact.account, "contact": contact,
                  "language": language or language_of(contact),
                  "lines": _order_lines(order)}
    try:
        with transaction.atomic():
            return create_manual(currency=order.currency, order=order,
                                 notes=_("Order %(number)s") % {"number": order.number},
                                 **values)
    except IntegrityError:  # made at the same moment by another request
        return Invoice.objects.get(order=order)


def _quote_of(order):
    from crm_apps.quotes.models import Quote

    return Quote.everything.filter(order=order).first()


def _contact_of(order):
    from crm_apps.customers.models import Contact

    if order.user_id:
        contact = Contact.objects.filter(portal_user_id=order.user_id).first()
        if contact is not None:
            return contact
    email = order.guest_email or (order.user.email if order.user_id else "")
    if not email:
        return None
    return (Contact.objects.filter(email__iexact=email, account__isnull=False)
            .order_by("pk").first())


def _rate(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, to two decimals."""
    if not whole:
        return ZERO
    return min(max(money(part * 100 / whole), ZERO), Decimal("100"))


def _order_lines(order) -> list[dict]:
    lines = []
    for line in order.lines.all():
        before = line.line_price_before_discounts_excl_tax or line.line_price_excl_tax
        lines.append({
            "description": line.title[:500],
            "quantity": Decimal(line.quantity),
            "unit_price": money(before / line.quantity) if line.quantity else before,
            "discount_percent": _rate(before - line.line_price_excl_tax, before),
            "tax_rate": _rate(line.line_price_incl_tax - line.line_price_excl_tax,
                              line.line_price_excl_tax),
        })
    if order.shipping_excl_tax:
        lines.append({"description": str(_("Shipping")), "quantity": Decimal("1"),
                      "unit_price": order.shipping_excl_tax,
                      "tax_rate": _rate(order.shipping_incl_tax - order.shipping_excl_tax,
                                        order.shipping_excl_tax)})
    return lines


# --- contract billing periods ---------------------------------------------------------------

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def billing_periods(contract) -> list[tuple[datetime.date, datetime.date]]:
    """The contract's billing periods from its start, the last one cut at its end; a one-off
    contract is billed once for the whole term."""
    from dateutil.relativedelta import relativedelta

    months = PERIOD_MONTHS.get(contract.billing_period)
    if not months:
        return [(contract.start, contract.end)]
    periods, index = [], 0
    while True:
        start = contract.start + relativedelta(months=months * index)
        if start > contract.end:
            return periods
        end = contract.start + relativedelta(months=months * (index + 1))
        periods.append((start, min(end - datetime.timedelta(days=1), contract.end)))
        index += 1


def period_amount(contract, start: datetime.date, end: datetime.date) -> Decimal:
    """The share of the contract's value a period carries: by whole months when the term and
    the period are whole months (every month the same), else by days."""
    from crm_apps.contracts.services import _whole_months

    term_months = _whole_months(contract.start, contract.end)
    months = _whole_months(start, end)
    if term_months and months:
        return money(contract.value * months / term_months)
    term_days = (contract.end - contract.start).days + 1
    return money(contract.value * ((end - start).days + 1) / term_days)


def language_of(contact) -> str:
    """The invoice language a contact reads: their portal login's, else the site's."""
    user = getattr(contact, "portal_user", None) if contact is not None else None
    chosen = (getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE).lower()
    return Invoice.Language.CHINESE if chosen.startswith("zh") else Invoice.Language.ENGLISH


def create_for_contract_period(contract, start: datetime.date, end: datetime.date) -> Invoice:
    """The draft invoice of one billing period of ``contract`` (one per contract and period,
    enforced by a unique constraint: asked again, the same invoice)."""
    existing = Invoice.objects.filter(contract=contract, period_start=start).first()
    if existing is not None:
        return existing
    description = _("%(contract)s, %(start)s – %(end)s") % {
        "contract": str(contract), "start": start.isoformat(), "end": end.isoformat()}
    try:
        with transaction.atomic():
            return create_manual(
                account=contract.account, contact=contract.contact, currency=contract.currency,
                language=language_of(contract.contact),
                contract=contract, period_start=start, period_end=end,
                lines=[{"description": str(description)[:500], "quantity": Decimal("1"),
                        "unit_price": period_amount(contract, start, end)}])
    except IntegrityError:  # another run made it meanwhile
        return Invoice.objects.get(contract=contract, period_start=start)


def bill_contract_periods(today: datetime.date | None = None) -> int:
    """Periodic: issue and send the invoice of every period of an active contract that has
    begun and has none yet. Returns how many invoices were made."""
    from crm_apps.contracts.models import Contract

    today = today or tenant_today()
    made = 0
    contracts = (Contract.objects.filter(status=Contract.Status.ACTIVE, start__lte=today,
                                         value__gt=0).order_by("pk").values_list("pk", flat=True))
    for pk in list(contracts):
        with transaction.atomic():
            contract = (Contract.objects.select_for_update(skip_locked=True)
                        .filter(pk=pk).first())
            if contract is None:  # another run has it
                continue
            billed = set(Invoice.objects.filter(contract=contract)
                         .values_list("period_start", flat=True))
            fresh = []
            for start, end in billing_periods(contract):
                if start <= today and start not in billed:
                    fresh.append(issue(create_for_contract_period(contract, start, end)))
        made += len(fresh)
        for invoice in fresh:
            _send_quietly(invoice)
    return made


def _send_quietly(invoice: Invoice, kind: str = "invoice", also=()) -> bool:
    """Mail an automatic message about ``invoice``; a mail server's refusal is logged (the
    invoice stays issued and can be sent again by hand)."""
    from crm_apps.billing import mailing

    try:
        return mailing.send_automatic(invoice, kind=kind, also=also)
    except Exception:  # noqa: BLE001 - any mail failure must not undo the billing run
        log.exception("could not mail %s of invoice %s", kind, invoice.pk)
        return False


# --- issuing --------------------------------------------------------------------------------

def _next_number(year: int) -> str:
    """The next number of ``year``, the sequence row locked until the transaction ends: a
    rolled-back issue gives its number back, so numbers have no gap."""
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(year=year)
    sequence.last_number = F("last_number") + 1
    sequence.save(update_fields=["last_number"])
    sequence.refresh_from_db(fields=["last_number"])
    return format_number(year, sequence.last_number)


def issue(invoice: Invoice, *, issue_date: datetime.date | None = None) -> Invoice:
    """Give the draft its number and issue date (today in the tenant's zone), due date
    (payment terms when it has none) and the status "open". Raises InvoiceStateError when
    it is not a draft or has no lines."""
    with transaction.atomic():
        current = _locked(invoice)
        if current.status != Status.DRAFT:
            raise state_error(current.status)
        if not current.lines.exists():
            raise state_error("no_lines")
        recompute(current)
        today = issue_date or tenant_today()
        current.issue_date = today
        current.due_date = current.due_date or today + datetime.timedelta(
            days=payment_terms_days())
        current.number = _next_number(today.year)
        current.status = _settled_status(current)  # overdue when issued late
        current.save()
    return current


# --- payments and refunds -------------------------------------------------------------------

def _settled_status(invoice: Invoice, today: datetime.date | None = None) -> str:
    if invoice.refunded_total > 0 and invoice.refunded_total >= invoice.total:
        return Status.REFUNDED
    if invoice.paid_total >= invoice.total:
        return Status.PAID
    if invoice.due_date and invoice.due_date < (today or tenant_today()):
        return Status.OVERDUE
    if invoice.paid_total > 0:
        return Status.PARTIALLY_PAID
    return Status.OPEN


def record_payment(invoice: Invoice, amount, method: str, *, reference: str = "",
                   received_at=None, stripe_payment=None, by=None) -> Payment:
    """Record money received against an open invoice: partially paid, then paid.

    Raises AmountError (400) for an amount that is not positive or more than is due, and
    InvoiceStateError (409) for a draft, void, paid or refunded invoice. With a Stripe
    payment, recording it again returns the first Payment (unique per invoice)."""
    amount = as_amount(amount)
    if method not in Payment.Method.values:
        raise AmountError("method", _("Choose how the money was paid."))
    with transaction.atomic():
        current = _locked(invoice)
        if stripe_payment is not None:
            earlier = Payment.objects.filter(invoice=current, stripe_payment=stripe_payment).first()
            if earlier is not None:
                return earlier
        if current.status not in PAYABLE:
            raise state_error(current.status)
        if amount > current.open_amount:
            raise AmountError("overpayment", _(
                "%(amount)s is more than the %(due)s still due on this invoice.")
                % {"amount": amount, "due": current.open_amount})
        payment = Payment.objects.create(
            invoice=current, amount=amount, method=method, reference=(reference or "")[:200],
            received_at=received_at or timezone.now(), stripe_payment=stripe_payment,
            recorded_by=by if getattr(by, "pk", None) else None)
        current.paid_total += amount
        current.status = _settled_status(current)
        current.save(update_fields=["paid_total", "status", "updated"])
    if isinstance(invoice, Invoice):
        invoice.paid_total, invoice.status = current.paid_total, current.status
    return payment


def refund(payment: Payment, amount, *, reason: str = "", stripe_refund_id: str | None = None,
           refunded_at=None, by=None) -> Refund:
    """Give back ``amount`` of ``payment``; once all an invoice's total is refunded it is
    "refunded". Raises AmountError for more than the payment has left. With a Stripe refund
    id, recording it again returns the first Refund."""
    amount = as_amount(amount)
    with transaction.atomic():
        invoice = _locked(payment.invoice_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if stripe_refund_id:
            earlier = Refund.objects.filter(payment=payment,
                                            stripe_refund_id=stripe_refund_id).first()
            if earlier is not None:
                return earlier
        left = payment.amount - (payment.refunds.aggregate(sum=Sum("amount"))["sum"] or ZERO)
        if amount > left:
            raise AmountError("over_refund", _(
                "%(amount)s is more than the %(left)s left to refund of this payment.")
                % {"amount": amount, "left": left})
        row = Refund.objects.create(payment=payment, amount=amount, reason=(reason or "")[:500],
                                    stripe_refund_id=stripe_refund_id or None,
                                    refunded_at=refunded_at or timezone.now(),
                                    recorded_by=by if getattr(by, "pk", None) else None)
        invoice.refunded_total += amount
        invoice.status = _settled_status(invoice)
        invoice.save(update_fields=["refunded_total", "status", "updated"])
    return row


def void(invoice: Invoice) -> Invoice:
    """Cancel an invoice nothing was paid on (a draft stays without a number). Raises
    InvoiceStateError for paid, partly paid, refunded or void invoices."""
    with transaction.atomic():
        current = _locked(invoice)
        if current.status == Status.VOID:
            raise state_error("void")
        if current.paid_total > 0:
            raise state_error("has_payments")
        if current.status not in VOIDABLE:
            raise state_error(current.status)
        current.status, current.voided_at = Status.VOID, timezone.now()
        current.save(update_fields=["status", "voided_at", "updated"])
    return current


# --- overdue ---------------------------------------------------------------------------------

def mark_overdue(today: datetime.date | None = None) -> int:
    """Periodic: open and partly paid invoices past their due date become overdue (one
    statement, so runs at the same time change each invoice once)."""
    today = today or tenant_today()
    return Invoice.objects.filter(status__in=[Status.OPEN, Status.PARTIALLY_PAID],
                                  due_date__lt=today).update(status=Status.OVERDUE,
                                                             updated=timezone.now())


def reminder_step(days_overdue: int) -> int:
    """The highest reminder step reached after ``days_overdue`` days (0: none yet)."""
    return max((step for step in REMINDER_STEPS if step <= days_overdue), default=0)


def send_reminders(today: datetime.date | None = None) -> int:
    """Periodic: one reminder per overdue invoice per step (1, 7, 30 days past due). The step
    is claimed with a conditional update in the transaction that sends the mail, so a second
    run at the same time, or later, never sends the same step again; a mail that fails
    leaves the step unclaimed for the next run."""
    from crm_apps.billing import mailing

    today = today or tenant_today()
    sent = 0
    overdue = (Invoice.objects.filter(status=Status.OVERDUE, due_date__lt=today)
               .order_by("due_date", "pk").values_list("pk", "due_date", "reminder_step"))
    for pk, due_date, claimed in list(overdue):
        step = reminder_step((today - due_date).days)
        if step <= claimed:
            continue
        with transaction.atomic():
            taken = Invoice.objects.filter(pk=pk, status=Status.OVERDUE,
                                           reminder_step__lt=step).update(reminder_step=step)
            if not taken:
                continue
            invoice = Invoice.objects.select_related("account", "contact").get(pk=pk)
            try:
                with transaction.atomic():
                    if mailing.send_automatic(invoice, kind="reminder"):
                        sent += 1
            except Exception:  # noqa: BLE001 - the next run tries this step again
                log.exception("could not send the reminder of invoice %s", pk)
                transaction.set_rollback(True)
    return sent


# --- balance and statement ------------------------------------------------------------------

def balance(account, currency: str | None = None) -> Decimal:
    """What ``account`` owes now: the open amounts of its issued, unpaid invoices."""
    invoices = Invoice.objects.filter(account=account, status__in=PAYABLE)
    if currency:
        invoices = invoices.filter(currency=currency)
    owed = invoices.aggregate(total=Sum("total"), paid=Sum("paid_total"))
    return money((owed["total"] or ZERO) - (owed["paid"] or ZERO))
