"""Leads saved, or given activities, between two trainings get the active model's score."""

from django.db.models.signals import post_save

from crm_apps.sales.models import Lead
from crm_apps.sales.prediction import refresh_predicted_score


def predict_saved_lead(sender, instance, created, raw=False, **kwargs):
    if not raw:
        # A lead just created has no activities yet: one query fewer.
        refresh_predicted_score(instance, has_activities=not created)


def predict_activity_lead(sender, instance, raw=False, **kwargs):
    if not raw and instance.lead_id:
        refresh_predicted_score(instance.lead)


def connect() -> None:
    from crm_apps.activities.models import Activity

    post_save.connect(predict_saved_lead, sender=Lead, dispatch_uid="lead_predicted_score")
    post_save.connect(predict_activity_lead, sender=Activity,
                      dispatch_uid="lead_activity_predicted_score")
