"""The registry of notification kinds: who can receive each and how by default.

Apps register their kinds at import time (in their ``AppConfig.ready``); the preferences page
lists the kinds that apply to the user looking at it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

STAFF = "staff"
CUSTOMERS = "customers"


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    audience: str  # STAFF or CUSTOMERS
    email_default: bool = False


_KINDS: dict[str, Kind] = {}


def register(code: str, label, *, audience: str, email_default: bool = False) -> Kind:
    if audience not in (STAFF, CUSTOMERS):
        raise ValueError(f"unknown audience {audience!r}")
    kind = Kind(code, label, audience, email_default)
    _KINDS[code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"notification kind {code!r} is not registered") from None


def for_audience(audience: str) -> list[Kind]:
    return [kind for kind in _KINDS.values() if kind.audience == audience]


# The foundation's own kinds; feature apps add theirs the same way.
STAFF_ANNOUNCEMENT = register("announcement.staff", _("Announcements to staff"),
                              audience=STAFF, email_default=True)
CUSTOMER_ANNOUNCEMENT = register("announcement.customers", _("News from us"),
                                 audience=CUSTOMERS, email_default=False)
TEAM_MEMBER_JOINED = register("team.member_joined", _("New colleagues"), audience=STAFF)
JOB_FINISHED = register("job.finished", _("Background jobs finished"), audience=STAFF)
