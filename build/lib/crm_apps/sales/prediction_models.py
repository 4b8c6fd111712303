"""Trained lead-scoring models: one row per training run, in the tenant's own schema."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LeadScoreModel(models.Model):
    """A model trained on this tenant's closed leads (converted = 1, disqualified = 0).

    Every run is kept, so an admin can see how the model compares with the rules over time.
    A run becomes the active one only when it ranks the held-out leads better than the scoring
    rules do (``auc_model > auc_rules``); otherwise no model is active and leads show the rule
    score alone. The estimator is stored as bytes in this row: the table lives in the tenant's
    schema, so a tenant's model is never read, or trained, beside another tenant's leads.
    """

    trained_at = models.DateTimeField(_("trained"), default=timezone.now, editable=False)
    n_samples = models.PositiveIntegerField(_("closed leads used"))
    positives = models.PositiveIntegerField(_("converted leads used"))
    holdout_size = models.PositiveIntegerField(_("held-out leads"))
    auc_model = models.FloatField(_("ROC AUC of the model"))
    auc_rules = models.FloatField(_("ROC AUC of the scoring rules"))
    # The largest weights by size, [{"feature": "source=referral", "weight": 1.2}, ...].
    weights = models.JSONField(_("largest weights"), default=list)
    estimator = models.BinaryField(_("estimator"))
    active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("lead score model")
        verbose_name_plural = _("lead score models")
        ordering = ["-trained_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["active"], condition=Q(active=True),
                                               name="one_active_lead_score_model")]

    def __str__(self):
        return f"{self.trained_at:%Y-%m-%d %H:%M} ({self.n_samples})"

    @property
    def beats_rules(self) -> bool:
        return self.auc_model > self.auc_rules
