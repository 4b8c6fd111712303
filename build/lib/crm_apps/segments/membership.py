"""Which segments a shopper is in: the one question the shop asks on every request.

The shop caches its answers under the tenant's membership version (``segments:version``);
every change of membership bumps the version, so answers cached before are never read again."""

import time

from django.core.cache import cache

from crm_apps.segments.models import SegmentMembership

VERSION_KEY = "segments:version"


def membership_version() -> int:
    """The current tenant's membership version (cache keys are tenant-scoped)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # Milliseconds since the epoch: a version lost from the cache restarts above every
        # version handed out before, so stale keys are never read again.
        cache.add(VERSION_KEY, int(time.time() * 1000), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def bump_version() -> int:
    """Tell the shop that memberships changed in this tenant."""
    try:
        return cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache: start it afresh, above any earlier value
        membership_version()
        return cache.incr(VERSION_KEY)


def segment_ids_for_user(user) -> frozenset[int]:
    """Ids of the active segments whose members include ``user``'s contact (none for an
    anonymous shopper or a login without a contact). One indexed query; the shop caches the
    answer under :func:`membership_version`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(SegmentMembership.objects.filter(
        contact__portal_user_id=user.pk, contact__deleted_at__isnull=True,
        segment__is_active=True).values_list("segment_id", flat=True))
