"""Background tasks of customer records: emptying the bin, clearing abandoned import uploads,
and the import jobs."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

# Workers discover tasks modules; the import task lives beside the import code.
from crm_apps.customers.import_files import remove_stale_uploads
from crm_apps.customers.imports import import_contacts  # noqa: F401
from crm_apps.customers.models import Account, Contact

BIN_DAYS = 30


@shared_task(name="crm_apps.customers.tasks.empty_bin")
def empty_bin() -> dict:
    """Periodic, per tenant: delete for good the records deleted more than 30 days ago
    (until then a tenant admin can restore them)."""
    cutoff = timezone.now() - timedelta(days=BIN_DAYS)
    removed = {}
    with transaction.atomic():
        for model in (Contact, Account):  # contacts first: they point at accounts
            count, _ = model.everything.filter(deleted_at__lt=cutoff).delete()
            removed[model._meta.model_name] = count
    return removed


@shared_task(name="crm_apps.customers.tasks.clear_abandoned_uploads")
def clear_abandoned_uploads() -> int:
    """Periodic, per tenant: delete import uploads left between the upload and the start of
    the import for more than a day (a new upload clears them too, but a quiet tenant may not
    upload again for weeks)."""
    return remove_stale_uploads()
