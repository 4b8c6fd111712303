"""The record timeline: sources registered by apps, merged newest first."""

import base64
import binascii
import datetime
import json
from collections.abc import Callable

from django.db.models import Q

Source = Callable[..., object]
_SOURCES: dict[str, Source] = {}


def register_source(name: str, fn: Source) -> Source:
    """Add (or replace) a source of timeline items under ``name``.

    ``fn(*, account=None, contact=None, user, before=None, limit=None)`` returns an iterable
    of items, each a dict with ``kind``, ``id``, ``title``, ``when`` (an aware datetime),
    ``summary`` and ``link``. Given an account, a source returns the items of the account and
    of its contacts (:func:`record_filter` builds that filter); given a contact, that
    contact's. It returns only what ``user`` may see, and may use ``before`` (items at or
    before it) and ``limit`` (at most that many, newest first) to read less; the timeline
    filters, orders and cuts the merged items again, so a source ignoring them stays correct.
    Register at import time (from the app's ``AppConfig.ready``).
    """
    _SOURCES[name] = fn
    return fn


def unregister_source(name: str) -> None:
    _SOURCES.pop(name, None)


def sources() -> dict[str, Source]:
    return dict(_SOURCES)


def record_filter(account=None, contact=None, *, account_field: str = "account",
                  contact_field: str = "contact") -> Q:
    """Rows about ``account`` (directly or through one of its live contacts) or ``contact``."""
    from crm_apps.customers.models import Contact

    if account is not None:
        contacts = Contact.objects.filter(account=account).values("pk")
        return Q(**{account_field: account}) | Q(**{f"{contact_field}__in": contacts})
    if contact is not None:
        return Q(**{contact_field: contact})
    return Q(pk__in=[])


def _key(item: dict) -> tuple:
    """The total order of timeline items: by time, then by a stable name of the item."""
    return (item["when"], f"{item['source']}:{item['kind']}:{item['id']}")


def encode_cursor(item: dict) -> str:
    when, key = _key(item)
    raw = json.dumps([when.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple | None:
    """``(when, key)`` from a cursor, or None if it is not one of ours."""
    try:
        when, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = datetime.datetime.fromisoformat(when)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        return None
    if when.tzinfo is None or not isinstance(key, str):
        return None
    return when, key


def _from_source(name: str, fn: Source, *, after_key, want: int, **record) -> list[dict]:
    """At least ``want`` of the source's items older than ``after_key`` (all of them if it has
    fewer), none missing above the oldest returned: a source cut at ``limit`` may have more
    items at the moment it was cut, so those are asked for again with a larger limit."""
    before = after_key[0] if after_key else None
    ask = want
    while True:
        raw = [{**item, "source": name}
               for item in fn(**record, before=before, limit=ask)]
        older = [item for item in raw if after_key is None or _key(item) < after_key]
        if len(raw) != ask:  # everything it has (or it ignores ``limit``)
            return older
        edge = min(item["when"] for item in raw)
        complete = [item for item in older if item["when"] > edge]
        if len(complete) >= want:
            return complete
        ask *= 2


def items(*, user, account=None, contact=None, after_key: tuple | None = None,
          limit: int = 50) -> tuple[list[dict], bool]:
    """One page of the timeline older than ``after_key``, newest first, and whether more
    follow."""
    merged = []
    for name, fn in list(_SOURCES.items()):
        merged += _from_source(name, fn, after_key=after_key, want=limit + 1,
                               account=account, contact=contact, user=user)
    merged.sort(key=_key, reverse=True)
    return merged[:limit], len(merged) > limit
