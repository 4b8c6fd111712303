"""Periodic work on leads: recomputing rule-based scores in each tenant."""

from celery import shared_task

from crm_apps.sales.scoring import rescore_all


@shared_task(name="crm_apps.sales.lead_tasks.rescore_leads")
def rescore_leads() -> int:
    """Scores drift as activities are logged and rules change; the beat runs this per tenant."""
    return rescore_all()
