"""Background task of commissions: the monthly refresh of draft statements."""

from celery import shared_task

from crm_apps.commissions import statements


@shared_task(name="crm_apps.commissions.tasks.refresh_statements")
def refresh_statements() -> dict[str, int]:
    """Monthly, per tenant: compute or recompute the draft statements of the previous and the
    current period of every rep on an active plan (submitted and approved ones stay)."""
    return statements.refresh()
