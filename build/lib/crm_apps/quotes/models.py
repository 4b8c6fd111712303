"""Quotes and their lines: one row per version, sharing a number; totals kept in Decimal."""

import secrets
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_apps.customers.models import Account, Contact, OwnedRecord
from crm_apps.customers.numbering import NumberedFromId

NUMBER_PREFIX = "Q-"
ZERO = Decimal("0.00")


def new_access_token() -> str:
    """The secret in the link a customer opens in the portal (unguessable, one per version)."""
    return secrets.token_urlsafe(32)


class Quote(NumberedFromId, OwnedRecord):
    """One version of a quote. A new version copies the lines and supersedes the one before;
    only the newest sent version can be accepted."""

    number_prefix = NUMBER_PREFIX

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", pgettext_lazy("quote status", "Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded")

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        CHINESE = "zh-hans", "简体中文"

    number = models.CharField(_("number"), max_length=20, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    previous = models.OneToOneField("self", verbose_name=_("previous version"), null=True,
                                    blank=True, editable=False, on_delete=models.SET_NULL,
                                    related_name="next_version")
    title = models.CharField(_("title"), max_length=200)
    opportunity = models.ForeignKey("sales.Opportunity", verbose_name=_("opportunity"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="quotes")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="quotes")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="quotes",
                                help_text=_("Who receives the quote and may accept it."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    currency = models.CharField(_("currency"), max_length=3, default="CNY",
                                help_text=_("ISO 4217 code of the amounts, such as CNY."))
    language = models.CharField(_("language"), max_length=10, choices=Language.choices,
                                default=Language.ENGLISH,
                                help_text=_("Language of the PDF and the e-mail."))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # A discount on the whole quote, after line discounts and before tax.
    discount_percent = models.DecimalField(_("quote discount (%)"), max_digits=5,
                                           decimal_places=2, default=ZERO)
    terms = models.TextField(_("terms and notes"), blank=True)
    # Totals are recomputed from the lines by crm_apps.quotes.totals on every change.
    subtotal = models.DecimalField(_("subtotal"), max_digits=16, decimal_places=2,
                                   default=ZERO, editable=False)
    discount_total = models.DecimalField(_("discount"), max_digits=16, decimal_places=2,
                                         default=ZERO, editable=False)
    tax_total = models.DecimalField(_("tax"), max_digits=16, decimal_places=2, default=ZERO,
                                    editable=False)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=ZERO,
                                editable=False)
    access_token = models.CharField(max_length=64, unique=True, default=new_access_token,
                                    editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    responded_by = models.CharField(_("answered by"), max_length=200, blank=True,
                                    editable=False)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    # The order an accepted quote became: at most one, whatever the customer clicks.
    order = models.OneToOneField("order.Order", verbose_name=_("order"), null=True, blank=True,
                                 editable=False, on_delete=models.SET_NULL,
                                 related_name="quote")

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"], name="quote_owner_recent"),
                   models.Index(fields=["team", "-id"], name="quote_team_recent"),
                   models.Index(fields=["account", "-id"], name="quote_account_recent"),
                   models.Index(fields=["opportunity", "-id"], name="quote_opportunity_recent")]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="quote_number_version"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0)
                                   & Q(discount_percent__lte=100),
                                   name="quote_discount_percent_range"),
            # One accepted version per quote number.
            models.UniqueConstraint(fields=["number"], condition=Q(status="accepted"),
                                    name="quote_one_accepted_version"),
        ]

    def __str__(self):
        return f"{self.label} {self.title}".strip()

    @property
    def label(self) -> str:
        return f"{self.number} v{self.version}" if self.version > 1 else self.number

    @property
    def is_open(self) -> bool:
        """Still waiting for the customer's answer."""
        return self.status == self.Status.SENT


class PricedLine(models.Model):
    """A priced line of a quote or an invoice: quantity, unit price, line discount and tax,
    and the amounts crm_apps.quotes.totals computes from them (half-up cents)."""

    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2,
                                   default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2,
                                     default=ZERO)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2,
                                           default=ZERO)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2,
                                   default=ZERO)
    # Computed by crm_apps.quotes.totals: net after both discounts, its tax, and the sum.
    net_amount = models.DecimalField(_("net"), max_digits=16, decimal_places=2, default=ZERO,
                                     editable=False)
    tax_amount = models.DecimalField(_("tax"), max_digits=16, decimal_places=2, default=ZERO,
                                     editable=False)
    total_amount = models.DecimalField(_("line total"), max_digits=16, decimal_places=2,
                                       default=ZERO, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.description


def priced_line_constraints(prefix: str) -> list:
    """The database's own checks on a priced line's numbers, named after ``prefix``."""
    return [
        models.CheckConstraint(condition=Q(quantity__gt=0), name=f"{prefix}_quantity"),
        models.CheckConstraint(condition=Q(unit_price__gte=0), name=f"{prefix}_price"),
        models.CheckConstraint(condition=Q(discount_percent__gte=0)
                               & Q(discount_percent__lte=100),
                               name=f"{prefix}_discount_range"),
        models.CheckConstraint(condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100),
                               name=f"{prefix}_tax_range"),
    ]


class QuoteLine(PricedLine):
    """A line of a quote: a catalogue product at its price, or a free line typed by hand."""

    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE,
                              related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey("catalogue.Product", verbose_name=_("product"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(_("SKU"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "id"]
        constraints = priced_line_constraints("quote_line")

