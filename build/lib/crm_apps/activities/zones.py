"""The time zone activity pages, "My day", the calendar and the feed count days in."""

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.zones import tenant_zone

__all__ = ["TenantZoneMixin", "day_start", "local_today", "tenant_zone"]


def local_today(zone: ZoneInfo | None = None) -> datetime.date:
    return timezone.now().astimezone(zone or tenant_zone()).date()


def day_start(day: datetime.date, zone: ZoneInfo | None = None) -> datetime.datetime:
    """The aware moment ``day`` begins in ``zone`` (midnight there)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone or tenant_zone())


class TenantZoneMixin:
    """Pages shown, and form times read, in the tenant's zone (``self.zone``).

    The request already runs in that zone (core.zones.TenantTimeZoneMiddleware); this makes
    the view say so explicitly and restores, rather than drops, the zone active before, so
    a response rendered after the view still reads times in the tenant's zone.
    """

    def dispatch(self, request, *args, **kwargs):
        self.zone = tenant_zone()
        with timezone.override(self.zone):
            return super().dispatch(request, *args, **kwargs)
