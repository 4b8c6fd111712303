"""Recomputing segment members set-based: the metrics first, then per segment one
transaction that inserts the newcomers and deletes the leavers with a statement each."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from crm_apps.segments import membership
from crm_apps.segments.metrics import refresh_metrics
from crm_apps.segments.models import Segment, SegmentMembership
from crm_apps.segments.rules import clean_rules, matching_contacts

logger = logging.getLogger(__name__)

_DELETE_SQL = "DELETE FROM {table} WHERE id IN ({leavers})"

_INSERT_SQL = """
INSERT INTO {table} (segment_id, contact_id, added_at)
SELECT %s, matched.id, now() FROM ({matching}) AS matched(id)
ON CONFLICT (segment_id, contact_id) DO NOTHING
"""


@dataclass
class Change:
    added: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _rules_of(segment: Segment) -> list[dict] | None:
    """The segment's rules, or None when they no longer validate (a deleted tag still does:
    it matches no one; a hand-edited row might not): such a segment is left as it was."""
    try:
        return clean_rules(segment.rules, check_names=False)
    except ValidationError:  # one bad segment must not stop the others
        logger.warning("segment %s has invalid rules; not recomputed", segment.pk)
        return None


def recompute_segment(segment: Segment, contact_ids=None) -> Change:
    """Bring the members of ``segment`` in line with its rules: all contacts, or only
    ``contact_ids`` (an event about a few contacts). One transaction, row-locked segment."""
    with transaction.atomic():
        segment = Segment.objects.select_for_update().filter(pk=segment.pk).first()
        rules = _rules_of(segment) if segment is not None else None
        if rules is None:  # deleted meanwhile, or rules that no longer validate
            return Change()
        matching = matching_contacts(rules, segment.match)
        current = SegmentMembership.objects.filter(segment=segment)
        if contact_ids is not None:
            matching = matching.filter(pk__in=list(contact_ids))
            current = current.filter(contact_id__in=list(contact_ids))
        table = connection.ops.quote_name(SegmentMembership._meta.db_table)
        leavers, leaver_params = (current.exclude(contact_id__in=matching.values("pk"))
                                  .order_by().values("pk").query.sql_with_params())
        sql, params = matching.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            # One statement each way, whatever the number of rows (a queryset delete would
            # fetch the rows first when any delete signal is connected).
            cursor.execute(_DELETE_SQL.format(table=table, leavers=leavers), leaver_params)
            removed = cursor.rowcount
            cursor.execute(_INSERT_SQL.format(table=table, matching=sql),
                           (segment.pk, *params))
            added = cursor.rowcount
        count = SegmentMembership.objects.filter(segment=segment).aggregate(n=Count("id"))["n"]
        Segment.objects.filter(pk=segment.pk).update(member_count=count,
                                                     computed_at=timezone.now())
    return Change(added=added, removed=removed)


def recompute_all() -> dict[str, int]:
    """The periodic job's work: every contact's figures, then every active segment."""
    changed_figures = refresh_metrics()
    total = Change()
    segments = list(Segment.objects.filter(is_active=True))
    for segment in segments:
        change = recompute_segment(segment)
        total.added += change.added
        total.removed += change.removed
    if total.changed:
        membership.bump_version()
    return {"contacts_changed": changed_figures, "segments": len(segments), "added": total.added,
            "removed": total.removed}


def refresh_contacts(contact_ids, *, force_bump: bool = False) -> Change:
    """After an event about these contacts: their figures, then their place in every active
    segment. The shop's cached segment lists are told when anything changed."""
    contact_ids = sorted({int(pk) for pk in contact_ids})
    total = Change()
    if not contact_ids:
        return total
    refresh_metrics(contact_ids)
    for segment in Segment.objects.filter(is_active=True):
        change = recompute_segment(segment, contact_ids)
        total.added += change.added
        total.removed += change.removed
    if total.changed or force_bump:
        membership.bump_version()
    return total


def recompute_one(segment: Segment) -> Change:
    """"Recompute now" on one segment: fresh figures, then its members."""
    refresh_metrics()
    change = recompute_segment(segment)
    if change.changed:
        membership.bump_version()
    return change
