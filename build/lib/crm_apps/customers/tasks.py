"""Background tasks of customer records: emptying the bin, clearing abandoned import uploads,
and the import jobs."""

from celery import shared_task

from crm_apps.customers import binned
from crm_apps.customers.import_files import remove_stale_uploads

# Workers discover tasks modules; the import tasks live beside the import code.
from crm_apps.customers.imports import import_contacts  # noqa: F401


@shared_task(name="crm_apps.customers.tasks.empty_bin")
def empty_bin() -> dict:
    """Periodic, per tenant: delete for good the records deleted more than 30 days ago
    (until then a tenant admin can restore them)."""
    return binned.empty()


@shared_task(name="crm_apps.customers.tasks.clear_abandoned_uploads")
def clear_abandoned_uploads() -> int:
    """Periodic, per tenant: delete import uploads left between the upload and the start of
    the import for more than a day (a new upload clears them too, but a quiet tenant may not
    upload again for weeks)."""
    return remove_stale_uploads()
