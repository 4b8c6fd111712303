"""Background tasks of customer records: the nightly emptying of the bin, and the import job."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

# Workers discover tasks modules; the import task lives beside the import code.
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
