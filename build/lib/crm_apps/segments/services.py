"""Operations on segments: save with cleaned rules, delete, and ask for a recompute; the
members are recomputed by a task after the commit."""

from functools import partial

from django.db import transaction

from crm_apps.segments import membership
from crm_apps.segments.events import on_commit_in_this_tenant
from crm_apps.segments.models import Segment
from crm_apps.segments.rules import clean_rules
from crm_apps.segments.tasks import recompute_segment


def request_recompute(segment: Segment) -> None:
    """Queue the recompute of ``segment``'s members once the current transaction commits."""
    on_commit_in_this_tenant(partial(recompute_segment.delay, segment.pk))


@transaction.atomic
def save_segment(segment: Segment, *, rules: list) -> Segment:
    """Save ``segment`` with its rules (cleaned again here: a ValidationError for bad ones)
    and recompute its members after the commit."""
    segment.rules = clean_rules(rules)
    segment.save()
    # Activation or deactivation changes every member's answer even before the recompute.
    on_commit_in_this_tenant(membership.bump_version)
    request_recompute(segment)
    return segment


@transaction.atomic
def delete_segment(segment: Segment) -> None:
    segment.delete()
    on_commit_in_this_tenant(membership.bump_version)
