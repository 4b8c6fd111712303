"""Invoices with their lines, the gapless number sequence, payments and refunds; Decimal only."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_apps.customers.models import Account, Contact
from crm_apps.quotes.models import PricedLine, priced_line_constraints

ZERO = Decimal("0.00")
NUMBER_PREFIX = "INV"


class InvoiceSequence(models.Model):
    """The last invoice number given in a year. Issuing locks this row, so two invoices issued
    at once wait for each other and the numbers run without gap or repeat."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice number sequence")
        verbose_name_plural = _("invoice number sequences")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


def format_number(year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{sequence:06d}"


class Invoice(models.Model):
    """An invoice to an account. A draft has no number; issuing gives it the next one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", pgettext_lazy("invoice status", "Open")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", pgettext_lazy("invoice status", "Paid")
        OVERDUE = "overdue", _("Overdue")
        VOID = "void", _("Void")
        REFUNDED = "refunded", pgettext_lazy("invoice status", "Refunded")

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        CHINESE = "zh-hans", "简体中文"

    number = models.CharField(_("number"), max_length=20, blank=True, editable=False,
                              db_index=True)
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="invoices")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="invoices",
                                help_text=_("Who receives the invoice."))
    order = models.ForeignKey("order.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="invoices")
    contract = models.ForeignKey("contracts.Contract", verbose_name=_("contract"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="invoices")
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY",
                                help_text=_("ISO 4217 code of the amounts, such as CNY."))
    issue_date = models.DateField(_("issue date"), null=True, blank=True, editable=False)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT, editable=False)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices,
                                default=Language.ENGLISH,
                                help_text=_("Language of the PDF and the e-mail."))
    # A discount on the whole invoice, after line discounts and before tax (as on quotes).
    discount_percent = models.DecimalField(_("invoice discount (%)"), max_digits=5,
                                           decimal_places=2, default=ZERO)
    notes = models.TextField(_("notes"), blank=True)
    # Kept by crm_apps.billing.services from the lines, payments and refunds.
    subtotal = models.DecimalField(_("subtotal"), max_digits=16, decimal_places=2,
                                   default=ZERO, editable=False)
    discount_total = models.DecimalField(_("discount"), max_digits=16, decimal_places=2,
                                         default=ZERO, editable=False)
    tax_total = models.DecimalField(_("tax"), max_digits=16, decimal_places=2, default=ZERO,
                                    editable=False)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=ZERO,
                                editable=False)
    paid_total = models.DecimalField(_("paid"), max_digits=16, decimal_places=2,
                                     default=ZERO, editable=False)
    refunded_total = models.DecimalField(_("refunded"), max_digits=16, decimal_places=2,
                                         default=ZERO, editable=False)
    # The last overdue reminder step sent (days past due), so each step goes out once.
    reminder_step = models.PositiveIntegerField(default=0, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="invoice_account_recent"),
                   models.Index(fields=["status", "due_date"], name="invoice_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""),
                                    name="invoice_number_unique"),
            # One invoice per contract billing period, whatever the job's runs overlap.
            models.UniqueConstraint(fields=["contract", "period_start"],
                                    condition=Q(contract__isnull=False),
                                    name="invoice_one_per_contract_period"),
            models.UniqueConstraint(fields=["order"], condition=Q(order__isnull=False),
                                    name="invoice_one_per_order"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0)
                                   & Q(discount_percent__lte=100),
                                   name="invoice_discount_percent_range"),
            models.CheckConstraint(condition=Q(paid_total__lte=F("total")),
                                   name="invoice_not_overpaid"),
            models.CheckConstraint(condition=Q(refunded_total__lte=F("paid_total")),
                                   name="invoice_refunds_within_payments"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return self.number or _("Draft invoice #%(id)s") % {"id": self.pk}

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def open_amount(self) -> Decimal:
        """What the customer still owes. A refund gives money back and cancels that part of
        the sale together, so it leaves the amount due as it was."""
        if self.status in (self.Status.DRAFT, self.Status.VOID, self.Status.REFUNDED):
            return ZERO
        return self.total - self.paid_total


class InvoiceLine(PricedLine):
    """A line of an invoice; its amounts are computed like a quote line's (half-up cents)."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE,
                                related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "id"]
        constraints = priced_line_constraints("invoice_line")


class Payment(models.Model):
    """Money received against one invoice: by hand (bank transfer, cash) or through Stripe."""

    class Method(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE,
                                related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    stripe_payment = models.ForeignKey("payments.StripePayment", verbose_name=_("Stripe payment"),
                                       null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="invoice_payments")
    recorded_by = models.ForeignKey("core.User", verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_payment_positive"),
            # A Stripe payment pays each of its invoices once, however often it is applied.
            models.UniqueConstraint(fields=["invoice", "stripe_payment"],
                                    condition=Q(stripe_payment__isnull=False),
                                    name="invoice_payment_once_per_stripe_payment"),
        ]

    def __str__(self):
        return f"{self.amount} {self.get_method_display()}"

    @property
    def refundable(self) -> Decimal:
        return self.amount - sum((refund.amount for refund in self.refunds.all()), ZERO)


class Refund(models.Model):
    """Money given back from a payment; it also cancels that much of the invoice's sale."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.CASCADE,
                                related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    stripe_refund_id = models.CharField(_("Stripe refund"), max_length=255, null=True,
                                        blank=True)
    refunded_at = models.DateTimeField(_("refunded"), default=timezone.now)
    recorded_by = models.ForeignKey("core.User", verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["refunded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_refund_positive"),
            # One Stripe refund split over several invoices' payments is one row per payment.
            models.UniqueConstraint(fields=["payment", "stripe_refund_id"],
                                    condition=Q(stripe_refund_id__isnull=False),
                                    name="invoice_refund_once_per_stripe_refund"),
        ]

    def __str__(self):
        return str(self.amount)
