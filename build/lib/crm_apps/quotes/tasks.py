"""Background tasks of quotes: expiry of sent quotes past their date."""

from celery import shared_task

from crm_apps.quotes import services


@shared_task(name="crm_apps.quotes.tasks.expire_quotes")
def expire_quotes() -> int:
    """Periodic, daily per tenant: sent quotes past valid_until become expired."""
    return services.expire_quotes()
