"""Audit entries as people read them: field labels, old and new values, who and what."""

import datetime
import decimal

from django.apps import apps
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from crm_apps.customization import access, values

ACTION_LABELS = {
    "created": pgettext_lazy("audit action", "Created"),
    "updated": pgettext_lazy("audit action", "Changed"),
    "deleted": pgettext_lazy("audit action", "Deleted"),
    "restored": pgettext_lazy("audit action", "Restored"),
    "merged": pgettext_lazy("audit action", "Merged"),
    "exported": pgettext_lazy("audit action", "Exported"),
}
ACTION_STYLES = {"created": "success", "updated": "primary", "deleted": "danger",
                 "restored": "info", "merged": "warning", "exported": "secondary"}
# The action already says it; the deletion moment itself adds nothing to read.
NOT_SHOWN = {"deleted_at"}
MAX_VALUE_CHARS = 80
EMPTY = "—"


def model_of(record_type: str):
    """The model of an entry's ``record_type`` ("app_label.model"), None if it is gone."""
    try:
        return apps.get_model(record_type)
    except (LookupError, ValueError):
        return None


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def actor_label(entry) -> str:
    """Who made the change: the user, or the import or the system when no one signed in."""
    if entry.actor is not None:
        return str(entry.actor)
    if isinstance(entry.changes, dict) and "import" in entry.changes:
        return _("Import")
    return _("System")


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a field since removed from the model
        return None


def _is_foreign_key(field) -> bool:
    return (field is not None and field.many_to_one and field.concrete
            and field.related_model is not None)


class _Formatter:
    """Labels and shown values of one model's changes; the names behind foreign keys are read
    once for all entries (one query per related model, however many entries there are)."""

    def __init__(self, model, entries):
        self.model = model
        self.custom = {access.custom_key(definition.code): definition
                       for definition in access.definitions(model)}
        self.names = self._related_names(entries)

    def _related_names(self, entries) -> dict:
        wanted: dict = {}
        for entry in entries:
            for name, change in entry.shown_changes.items():
                field = _field(self.model, name)
                if not _is_foreign_key(field) or not isinstance(change, list):
                    continue
                ids = wanted.setdefault(field.related_model, set())
                ids.update(value for value in change if isinstance(value, int | str) and value)
        names = {}
        for related, ids in wanted.items():
            manager = getattr(related, "everything", related._base_manager)
            names[related] = {str(pk): _record_name(record)
                              for pk, record in manager.in_bulk(list(ids)).items()}
        return names

    def label(self, name: str) -> str:
        if name in self.custom:
            return self.custom[name].display_label
        field = _field(self.model, name)
        if field is None:
            return name.removeprefix(access.CUSTOM_PREFIX)
        return capfirst(str(field.verbose_name))

    def value(self, name: str, stored) -> str:
        if stored is None or stored == "" or stored == [] or stored == {}:
            return EMPTY
        if name in self.custom:
            shown = values.display(self.custom[name], stored)
        else:
            shown = self._model_value(_field(self.model, name), stored)
        return Truncator(shown or EMPTY).chars(MAX_VALUE_CHARS)

    def _model_value(self, field, stored) -> str:
        if field is None:
            return _plain(stored)
        if _is_foreign_key(field):
            return self.names.get(field.related_model, {}).get(str(stored), f"#{stored}")
        if field.choices:
            return str(dict(field.flatchoices).get(stored, stored))
        if isinstance(field, models.BooleanField):
            return _("Yes") if stored else _("No")
        if isinstance(field, models.DateTimeField):
            moment = parse_datetime(str(stored)) if isinstance(stored, str) else None
            if moment is not None:
                if timezone.is_aware(moment):
                    moment = timezone.localtime(moment)
                return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        elif isinstance(field, models.DateField):
            day = parse_date(str(stored)) if isinstance(stored, str) else None
            if day is not None:
                return formats.date_format(day, "SHORT_DATE_FORMAT")
        if isinstance(field, models.DecimalField):
            try:
                return formats.number_format(decimal.Decimal(str(stored)),
                                             decimal_pos=field.decimal_places,
                                             use_l10n=True, force_grouping=True)
            except decimal.InvalidOperation:
                pass
        return _plain(stored)

    def rows(self, changes: dict) -> list[dict]:
        rows = []
        for name, change in changes.items():
            if name in NOT_SHOWN:
                continue
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            rows.append({"name": name, "label": self.label(name),
                         "old": self.value(name, old), "new": self.value(name, new),
                         "was_empty": old in (None, "", [], {})})
        return rows


def _plain(stored) -> str:
    if isinstance(stored, list):
        return ", ".join(map(str, stored))
    if isinstance(stored, dict):
        return ", ".join(f"{key}: {value}" for key, value in stored.items())
    return str(stored)


def _record_name(record) -> str:
    from crm_apps.customers.views import label_of

    return label_of(record)


def _summary(entry) -> str:
    """What a list-wide entry (an export, an import) did, in one line."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    if entry.action == "exported":
        filters = changes.get("filters") or {}
        if isinstance(filters, dict) and filters:
            shown = "; ".join(f"{key} = {Truncator(str(value)).chars(40)}"
                              for key, value in sorted(filters.items()))
        else:
            shown = _("none")
        rows = _count(changes.get("rows"))
        return ngettext("%(format)s file, %(rows)s row; filters: %(filters)s",
                        "%(format)s file, %(rows)s rows; filters: %(filters)s", rows or 0) % {
            "format": str(changes.get("format", "")).upper(),
            "rows": "?" if rows is None else rows, "filters": shown}
    if entry.action == "merged":
        merged = changes.get("merged") if isinstance(changes.get("merged"), dict) else {}
        moved = changes.get("moved") if isinstance(changes.get("moved"), dict) else {}
        count = sum(value for value in moved.values() if isinstance(value, int))
        return ngettext("Merged in “%(name)s” (#%(id)s); %(count)s related record moved.",
                        "Merged in “%(name)s” (#%(id)s); %(count)s related records moved.",
                        count) % {"name": merged.get("name", "?"), "id": merged.get("id", "?"),
                                  "count": count}
    if "import" in changes:
        rows = _count(changes.get("rows"))
        return ngettext("%(rows)s row imported", "%(rows)s rows imported", rows or 0) % {
            "rows": "?" if rows is None else rows}
    return ""


def _count(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def describe(entries, user) -> list[dict]:
    """The rows shown for ``entries`` to ``user``: fields hidden from the user's roles are
    left out entirely (their names too)."""
    entries = list(entries)
    by_model: dict = {}
    for entry in entries:
        model = model_of(entry.record_type)
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        if model is not None and entry.record_id != "*":
            changes = access.visible_changes(model, user, changes)
        listed = entry.record_id != "*" and entry.action != "merged"
        entry.shown_changes = changes if listed else {}
        by_model.setdefault(model, []).append(entry)
    formatters = {model: _Formatter(model, group)
                  for model, group in by_model.items() if model is not None}
    rows = []
    for entry in entries:
        formatter = formatters.get(model_of(entry.record_type))
        changes = (formatter.rows(entry.shown_changes) if formatter is not None
                   else [{"name": name, "label": name, "old": _plain(change), "new": ""}
                         for name, change in entry.shown_changes.items()])
        rows.append({"entry": entry, "at": entry.at, "who": actor_label(entry),
                     "action": entry.action, "action_label": action_label(entry.action),
                     "style": ACTION_STYLES.get(entry.action, "secondary"),
                     "changes": changes, "summary": _summary(entry)})
    return rows


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
