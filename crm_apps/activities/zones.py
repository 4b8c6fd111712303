"""The time zone activity pages, "My day", the calendar and the feed count days in."""

import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection
from django.utils import timezone


def tenant_zone() -> ZoneInfo:
    """The tenant's own zone when the tenant records one (``time_zone``), else the site's
    ``TIME_ZONE``: tenants have no zone of their own yet."""
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def local_today(zone: ZoneInfo | None = None) -> datetime.date:
    return timezone.now().astimezone(zone or tenant_zone()).date()


def day_start(day: datetime.date, zone: ZoneInfo | None = None) -> datetime.datetime:
    """The aware moment ``day`` begins in ``zone`` (midnight there)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone or tenant_zone())


class TenantZoneMixin:
    """Pages shown, and form times read, in the tenant's zone."""

    def dispatch(self, request, *args, **kwargs):
        self.zone = tenant_zone()
        timezone.activate(self.zone)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            timezone.deactivate()
