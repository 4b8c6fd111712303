"""A segment is a named set of rules over contacts; its members are stored when recomputed,
so the shop asks "which segments is this customer in" with one indexed query."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    class Match(models.TextChoices):
        ALL = "all", _("All rules")
        ANY = "any", _("Any rule")

    name = models.CharField(_("name"), max_length=120, unique=True)
    # Shown to the customer beside a segment offer ("for our gold customers"), per language.
    customer_label = models.CharField(_("label for customers (English)"), max_length=120,
                                      blank=True)
    customer_label_zh = models.CharField(_("label for customers (Chinese)"), max_length=120,
                                         blank=True)
    description = models.TextField(_("description"), blank=True)
    # [{"field": "tag", "op": "is", "value": "vip"}, ...]: see crm_apps.segments.rules.
    rules = models.JSONField(_("rules"), default=list, blank=True)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices,
                             default=Match.ALL)
    is_active = models.BooleanField(_("active"), default=True)
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class SegmentMembership(models.Model):
    # Worked out again from the records: a contact merge drops the duplicate's rows.
    derived_from_customer_records = True

    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.CASCADE,
                                related_name="memberships")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"),
                                on_delete=models.CASCADE, related_name="segment_memberships")
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        constraints = [models.UniqueConstraint(fields=["segment", "contact"],
                                               name="segment_member_once")]
        indexes = [models.Index(fields=["contact", "segment"], name="segment_member_contact")]

    def __str__(self):
        return f"{self.contact_id} in {self.segment_id}"


class ContactMetrics(models.Model):
    """Per-contact figures the rules read, refreshed set-based by crm_apps.segments.metrics.

    Money is in the tenant's currency; the RFM scores are quintiles (1..5, 5 best) among the
    contacts with at least one sale, and empty for contacts without one."""
    # Worked out again from the records: a contact merge drops the duplicate's rows.
    derived_from_customer_records = True

    contact = models.OneToOneField("customers.Contact", verbose_name=_("contact"),
                                   on_delete=models.CASCADE, primary_key=True,
                                   related_name="metrics")
    lifetime_value = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2,
                                         default=0)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    rfm_r = models.PositiveSmallIntegerField(_("RFM recency"), null=True, blank=True)
    rfm_f = models.PositiveSmallIntegerField(_("RFM frequency"), null=True, blank=True)
    rfm_m = models.PositiveSmallIntegerField(_("RFM monetary"), null=True, blank=True)
    rfm_total = models.PositiveSmallIntegerField(_("RFM score"), null=True, blank=True)
    # When the figures last changed (a refresh leaves unchanged rows unwritten).
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("contact metrics")
        verbose_name_plural = _("contact metrics")

    def __str__(self):
        return f"{self.contact_id}: {self.lifetime_value} / {self.order_count}"
