"""Each tenant's own time zone: the names allowed, the zone in force, and its activation."""

from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name, get_tenant_model

# Shown first in the settings page's list: where most of the tenants work.
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore",
                "Asia/Tokyo", "Europe/London", "Europe/Berlin", "America/New_York",
                "America/Los_Angeles", "UTC")
# Names the tz database ships that are not places: "localtime" follows whatever machine
# happens to run the code, the others are build artefacts.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules", "posix/Factory"})


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name a tenant may choose, sorted."""
    return tuple(sorted(available_timezones() - _NOT_ZONES))


def is_zone_name(name) -> bool:
    return isinstance(name, str) and name in zone_names()


def default_time_zone() -> str:
    """The zone of a tenant that chose none: the site's ``TIME_ZONE``."""
    return settings.TIME_ZONE


def validate_time_zone(name) -> None:
    if not is_zone_name(name):
        raise ValidationError(_("“%(value)s” is not a time zone name such as Asia/Shanghai."),
                              code="invalid_time_zone", params={"value": name})


def zone_choices() -> list:
    """Choices of a select: the common zones first, then every zone."""
    common = [(name, name) for name in COMMON_ZONES if is_zone_name(name)]
    return [(_("Common"), common), (_("All time zones"), [(name, name) for name in zone_names()])]


def zone_of(tenant) -> ZoneInfo:
    """``tenant``'s zone; the site's zone for the public tenant or a name that no longer
    loads (a tz database update can retire a name)."""
    name = getattr(tenant, "time_zone", "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def tenant_zone() -> ZoneInfo:
    """The zone of the tenant the connection is set to.

    ``schema_context()`` sets a stand-in tenant without fields (tasks queued from it, e-mails):
    its zone is read once from the tenant row and kept on the stand-in.
    """
    tenant = getattr(connection, "tenant", None)
    if tenant is not None and not hasattr(tenant, "time_zone"):
        schema = getattr(tenant, "schema_name", "")
        name = ""
        if schema and schema != get_public_schema_name():
            name = (get_tenant_model().objects.filter(schema_name=schema)
                    .values_list("time_zone", flat=True).first()) or ""
        tenant.time_zone = name
    return zone_of(tenant)


@contextmanager
def tenant_zone_active():
    """Run the block in the current tenant's zone, restoring the zone active before."""
    with timezone.override(tenant_zone()):
        yield


class TenantTimeZoneMiddleware:
    """Pages, forms, the API and "today" of a tenant host in that tenant's zone.

    Placed after the tenant middleware. The zone is set for the request and unset after it,
    so a thread serving one tenant after another never carries a zone across.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == get_public_schema_name():
            timezone.deactivate()
            return self.get_response(request)
        timezone.activate(zone_of(tenant))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
