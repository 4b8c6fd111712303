"""Background tasks of contracts: renewal reminders, automatic renewal and expiry."""

from celery import shared_task

from crm_apps.contracts import services


@shared_task(name="crm_apps.contracts.tasks.run_renewals")
def run_renewals() -> dict[str, int]:
    """Periodic, per tenant: remind owners of contracts nearing their end (once per term),
    then renew or expire the contracts that have ended."""
    ended = services.close_ended()
    # After renewing, so a new term already inside its notice window is reminded at once.
    return {"reminded": services.send_renewal_reminders(), **ended}
