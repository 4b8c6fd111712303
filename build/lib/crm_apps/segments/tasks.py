"""Background jobs of segments: the periodic full recompute and the per-contact refresh that
events queue after their commit."""

from celery import shared_task

from crm_apps.segments import compute
from crm_apps.segments.models import Segment


@shared_task(name="crm_apps.segments.tasks.recompute_segments")
def recompute_segments() -> dict[str, int]:
    """Periodic, per tenant: every contact's figures, then every active segment's members
    (rules on dates, such as "ordered within 30 days", move with the clock)."""
    return compute.recompute_all()


@shared_task(name="crm_apps.segments.tasks.refresh_contacts")
def refresh_contacts(contact_ids: list[int], force_bump: bool = False) -> dict[str, int]:
    """After an event: these contacts' figures and their place in every active segment."""
    change = compute.refresh_contacts(contact_ids, force_bump=force_bump)
    return {"added": change.added, "removed": change.removed}


@shared_task(name="crm_apps.segments.tasks.recompute_segment")
def recompute_segment(segment_id: int) -> dict[str, int]:
    """"Recompute now", or a segment just saved: fresh figures, then its members."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:  # deleted meanwhile
        return {"added": 0, "removed": 0}
    change = compute.recompute_one(segment)
    return {"added": change.added, "removed": change.removed}
