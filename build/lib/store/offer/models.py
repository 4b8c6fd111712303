"""Oscar's offer models, forked: offers for the members of a CRM segment with a hold-out group,
vouchers issued to a segment or a campaign, and a range that answers from precomputed ids."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from oscar.apps.offer.abstract_models import AbstractRange

MAX_HOLDOUT_PERCENT = 50


def is_chinese(language: str | None) -> bool:
    return (language or "").lower().startswith("zh")


class SegmentOffer(models.Model):
    """An Oscar user offer given to the members of one segment, except a stable hold-out
    share of them kept without it to measure what the offer changes."""

    offer = models.OneToOneField("offer.ConditionalOffer", verbose_name=_("offer"),
                                 on_delete=models.CASCADE, related_name="segment_offer")
    segment = models.ForeignKey("segments.Segment", verbose_name=_("segment"),
                                on_delete=models.PROTECT, related_name="offers")
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out group (%)"), default=10,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_HOLDOUT_PERCENT)],
        help_text=_("Share of the segment's members who do not get the offer, to compare "
                    "with. A customer stays in or out of it for this offer."))
    reason = models.CharField(_("reason shown (English)"), max_length=200, blank=True)
    reason_zh = models.CharField(_("reason shown (Chinese)"), max_length=200, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        app_label = "offer"
        ordering = ["-created"]
        verbose_name = _("segment offer")
        verbose_name_plural = _("segment offers")
        constraints = [models.CheckConstraint(
            condition=models.Q(holdout_percent__lte=MAX_HOLDOUT_PERCENT),
            name="segment_offer_holdout_at_most_50")]

    def __str__(self):
        return f"{self.offer_id} -> {self.segment_id}"

    def save(self, *args, **kwargs):
        # Until staff write their own, the customer sees the segment's own label.
        if not self.reason:
            self.reason = self.segment.customer_label
        if not self.reason_zh:
            self.reason_zh = self.segment.customer_label_zh
        super().save(*args, **kwargs)

    def reason_text(self, language: str | None = None) -> str:
        """The reason in ``language`` (the active one by default), the other language's text
        when this one is empty."""
        if is_chinese(language or get_language()):
            return self.reason_zh or self.reason
        return self.reason or self.reason_zh


class IssuedVoucherSet(models.Model):
    """Who an Oscar voucher set was issued to: a segment (only its members may use the codes)
    or a campaign (a name such as a lead's campaign), and how often each code may be used."""

    voucher_set = models.OneToOneField("voucher.VoucherSet", verbose_name=_("voucher set"),
                                       on_delete=models.CASCADE, related_name="issue")
    offer = models.ForeignKey("offer.ConditionalOffer", verbose_name=_("offer"),
                              on_delete=models.CASCADE, related_name="issued_voucher_sets")
    segment = models.ForeignKey("segments.Segment", verbose_name=_("segment"), null=True,
                                blank=True, on_delete=models.PROTECT,
                                related_name="voucher_sets")
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    # Orders one code may be used on in all (none: as the usage allows).
    max_uses = models.PositiveIntegerField(_("maximum uses per code"), null=True, blank=True,
                                           validators=[MinValueValidator(1)])
    created_by = models.ForeignKey("core.User", verbose_name=_("issued by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        app_label = "offer"
        ordering = ["-created"]
        verbose_name = _("issued voucher set")
        verbose_name_plural = _("issued voucher sets")

    def __str__(self):
        return str(self.voucher_set_id)


class Range(AbstractRange):
    """Oscar's range; when the offer cache has precomputed which products it holds,
    ``contains_product`` answers from those ids instead of querying per basket line."""

    def contains_product(self, product):
        known = self.__dict__.get("cached_membership")
        if known is None:
            return super().contains_product(product)
        includes_all, ids = known
        # ids are the exclusions of an "all products" range, the members of any other range.
        return (product.id not in ids) if includes_all else (product.id in ids)


from oscar.apps.offer.models import *  # noqa: E402, F403 - Oscar's fork pattern
