"""Contracts: one row per term of an agreement with an account, linked to the term it renews."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm_apps.customers.models import Account, Contact, OwnedRecord
from crm_apps.customers.numbering import NumberedFromId

NUMBER_PREFIX = "C-"


class Contract(NumberedFromId, OwnedRecord):
    number_prefix = NUMBER_PREFIX

    class BillingPeriod(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")
        ONE_OFF = "one_off", _("One-off")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("contract status", "Active")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        RENEWED = "renewed", _("Renewed")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    # Removed with its account when the bin is emptied for good (the bin's nightly job must
    # not be stopped by a protected row); a merge moves contracts to the surviving account.
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="contracts")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="contracts")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY",
                                help_text=_("ISO 4217 code of the value, such as CNY."))
    billing_period = models.CharField(_("billing period"), max_length=20,
                                      choices=BillingPeriod.choices,
                                      default=BillingPeriod.YEARLY)
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    renewal_notice_days = models.PositiveIntegerField(
        _("renewal notice (days)"), default=30,
        help_text=_("How many days before the end the owner is reminded."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    previous = models.ForeignKey("self", verbose_name=_("renews"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="renewals")
    # Set when the renewal task and notification of this term were made (once per term).
    renewal_reminded_at = models.DateTimeField(_("renewal reminded"), null=True, blank=True,
                                               editable=False)
    renewal_task = models.ForeignKey("activities.Activity", verbose_name=_("renewal task"),
                                     null=True, blank=True, editable=False,
                                     on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"], name="contract_owner_recent"),
                   models.Index(fields=["team", "-id"], name="contract_team_recent"),
                   models.Index(fields=["account", "-id"], name="contract_account_recent"),
                   models.Index(fields=["status", "end"], name="contract_status_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")),
                                   name="contract_ends_after_start"),
            models.CheckConstraint(condition=Q(value__gte=0),
                                   name="contract_value_not_negative"),
            # A term has at most one next term (a binned one no longer counts).
            models.UniqueConstraint(fields=["previous"], condition=Q(deleted_at__isnull=True),
                                    name="contract_one_next_term"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}".strip()

    @property
    def term_days(self) -> int:
        return (self.end - self.start).days

    def terms(self) -> list["Contract"]:
        """Every term of this agreement, oldest first: the ones it renews, itself, and the
        ones renewing it."""
        chain, seen = [self], {self.pk}
        earlier = self.previous
        while earlier is not None and earlier.pk not in seen:
            chain.insert(0, earlier)
            seen.add(earlier.pk)
            earlier = earlier.previous
        later = Contract.objects.filter(previous=self).first()
        while later is not None and later.pk not in seen:
            chain.append(later)
            seen.add(later.pk)
            later = Contract.objects.filter(previous=later).first()
        return chain
