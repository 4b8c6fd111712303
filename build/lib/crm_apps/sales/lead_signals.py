"""What happens when a lead or an activity on it is saved: assignment by rules and scoring."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import post_save
from django.dispatch import receiver

from crm_apps.sales import scoring
from crm_apps.sales.assignment import assign_by_rules
from crm_apps.sales.models import Lead

_suspended = ContextVar("lead_signals_suspended", default=False)


@contextmanager
def suspended():
    """Inside the block saves of leads and activities neither assign nor score: a bulk
    operation (an import) applies the rules once for its whole batch instead."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


@receiver(post_save, sender=Lead, dispatch_uid="lead_assign_and_score")
def assign_and_score(sender, instance, created, raw=False, **kwargs):
    if raw or _suspended.get():
        return
    # Every channel (API, pages, web forms, imports) creates leads through save().
    if created and instance.owner_id is None:
        assign_by_rules(instance)
    scoring.rescore(instance)


def rescore_activity_lead(sender, instance, raw=False, **kwargs):
    if not raw and instance.lead_id and not _suspended.get():
        scoring.rescore(instance.lead)


def connect() -> None:
    from crm_apps.activities.models import Activity

    post_save.connect(rescore_activity_lead, sender=Activity, dispatch_uid="lead_activity_score")
