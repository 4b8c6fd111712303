"""Commission plans (base rate, tiers by attainment, category rates) and approved statements."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    name = "crm_apps.commissions"
    label = "commissions"
    verbose_name = _("Commissions")

    def ready(self):
        from core import audit
        from crm_apps.commissions import models, notifications  # noqa: F401 - registrations

        for model in (models.CommissionPlan, models.CommissionTier, models.PlanCategoryRate,
                      models.PlanMembership, models.CommissionStatement):
            audit.register(model)
