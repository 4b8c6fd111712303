"""Background tasks of invoices: contract billing periods, overdue marking and reminders."""

from celery import shared_task

from crm_apps.billing import services


@shared_task(name="crm_apps.billing.tasks.bill_contract_periods")
def bill_contract_periods() -> int:
    """Periodic, per tenant: invoice each begun billing period of active contracts, once."""
    return services.bill_contract_periods()


@shared_task(name="crm_apps.billing.tasks.run_overdue")
def run_overdue() -> dict[str, int]:
    """Periodic, per tenant: mark invoices past due overdue, then send the reminders due."""
    marked = services.mark_overdue()
    return {"marked": marked, "reminded": services.send_reminders()}
