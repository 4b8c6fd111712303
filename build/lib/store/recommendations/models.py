"""What the nightly computation learned from the shop's orders: products bought together,
best sellers, and a marker of the last run (its token keys the page caches)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

# Order statuses that are not (or not yet) sales: the money never arrived or the sale was
# undone (see settings.OSCAR_ORDER_STATUS_PIPELINE).
NOT_SALES = ("Pending payment", "Payment failed", "Cancelled")


class ProductPair(models.Model):
    """``other`` was bought in the same orders as ``product``; ``score`` is the cosine
    similarity of the two products' order sets."""

    # No index of its own: the (product, -score) index and the unique pair lead with it.
    product = models.ForeignKey("catalogue.Product", verbose_name=_("product"),
                                on_delete=models.CASCADE, related_name="+", db_index=False)
    other = models.ForeignKey("catalogue.Product", verbose_name=_("bought with"),
                              on_delete=models.CASCADE, related_name="recommended_with")
    score = models.FloatField(_("score"))
    together_count = models.PositiveIntegerField(_("orders with both"))

    class Meta:
        verbose_name = _("product bought together")
        verbose_name_plural = _("products bought together")
        constraints = [models.UniqueConstraint(fields=["product", "other"],
                                               name="recommendation_pair_once")]
        indexes = [models.Index("product", models.F("score").desc(),
                                name="recommendation_pair_best")]

    def __str__(self):
        return f"{self.product_id} -> {self.other_id} ({self.score:.3f})"


class BestSeller(models.Model):
    """The shop's best sellers by units sold since ``since`` (empty: all time)."""

    product = models.OneToOneField("catalogue.Product", verbose_name=_("product"),
                                   on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField(_("rank"), unique=True)
    units = models.PositiveIntegerField(_("units sold"))
    since = models.DateTimeField(_("counted since"), null=True, blank=True)

    class Meta:
        verbose_name = _("best seller")
        verbose_name_plural = _("best sellers")
        ordering = ["rank"]

    def __str__(self):
        return f"{self.rank}. {self.product_id}"


class RecommendationRun(models.Model):
    """One row: when the tables were last computed and from how much data. ``token`` changes
    with every run, so cached recommendations of an earlier run are never served."""

    token = models.UUIDField(_("token"), default=uuid.uuid4)
    computed_at = models.DateTimeField(_("computed at"))
    orders = models.PositiveIntegerField(_("orders counted"), default=0)
    pairs = models.PositiveIntegerField(_("pairs stored"), default=0)
    best_sellers = models.PositiveIntegerField(_("best sellers stored"), default=0)
    seconds = models.FloatField(_("duration (s)"), default=0)

    class Meta:
        verbose_name = _("recommendation run")
        verbose_name_plural = _("recommendation runs")

    def __str__(self):
        return f"{self.computed_at:%Y-%m-%d %H:%M}"
