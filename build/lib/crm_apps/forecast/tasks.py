"""Periodic, per-tenant jobs of the forecast: snapshots and territory reassignment."""

from celery import shared_task

from crm_apps.forecast import forecasting, territories


@shared_task(name="crm_apps.forecast.tasks.take_forecast_snapshots")
def take_forecast_snapshots() -> int:
    """Weekly, per tenant: store what the forecast says now, for the history view."""
    return forecasting.take_snapshots()


@shared_task(name="crm_apps.forecast.tasks.reassign_territories")
def reassign_territories() -> int:
    """Daily, per tenant: put accounts created or changed since into their territory (done
    here rather than on every account save, which stays fast)."""
    return territories.reassign()
