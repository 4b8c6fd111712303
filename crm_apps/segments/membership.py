"""Which segments a shopper is in: the one question the shop asks on every request."""

from crm_apps.segments.models import SegmentMembership


def segment_ids_for_user(user) -> frozenset[int]:
    """Ids of the active segments whose members include ``user``'s contact (none for an
    anonymous shopper or a login without a contact)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(SegmentMembership.objects.filter(
        contact__portal_user_id=user.pk, contact__deleted_at__isnull=True,
        segment__is_active=True).values_list("segment_id", flat=True))
