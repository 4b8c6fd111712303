"""The bin: the kinds of soft-deleted record it holds (apps register theirs), restorable by a
tenant admin for 30 days and then removed for good by a nightly job."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

BIN_DAYS = 30
# kind code -> (model, title of its section, label of one record); in registration order.
_KINDS: dict[str, tuple] = {}


def register(kind: str, model, title, label=str) -> None:
    """Hold ``model``'s soft-deleted rows (it has ``deleted_at`` and an ``everything``
    manager) in the bin under ``kind``."""
    _KINDS[kind] = (model, title, label)


def kinds() -> dict[str, tuple]:
    return dict(_KINDS)


def cutoff():
    return timezone.now() - timedelta(days=BIN_DAYS)


def in_bin(model):
    return model.everything.filter(deleted_at__isnull=False, deleted_at__gte=cutoff())


def empty() -> dict[str, int]:
    """Delete for good what was deleted more than BIN_DAYS ago, newest kinds first (an
    activity points at a contact, a contact at an account)."""
    removed = {}
    limit = cutoff()
    with transaction.atomic():
        for kind, (model, _title, _label) in reversed(list(_KINDS.items())):
            removed[kind], _ = model.everything.filter(deleted_at__lt=limit).delete()
    return removed
