"""What the contact and account imports share: mapping targets, the job run, per-row errors."""

import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as
from core.models import AuditEntry
from core.roles import STAFF_ROLES
from crm_apps.customers.import_files import Table, UploadError
from crm_apps.customers.visibility import visible, visible_filter
from crm_apps.customization import access, values
from realtime.jobs import MAX_ERRORS, JobProgress

BATCH_SIZE = 2000
PREVIEW_ROWS = 10
MAPPING_TIMEOUT = 365 * 24 * 3600  # remembered layouts live in the (tenant-scoped) cache
DUPLICATE_MODES = ("skip", "update", "create")


class RowError(ValueError):
    """One row that cannot be imported; the others go ahead. ``field`` names the mapping
    target at fault (for the report's column and value), if one is."""

    def __init__(self, message, field: str = ""):
        super().__init__(message)
        self.field = field


class ImportFailed(RuntimeError):
    """The import stopped; everything it had written was rolled back."""


@dataclass(frozen=True)
class ImportKind:
    """One kind of record a file can be imported into."""

    code: str  # "contacts", in URLs and forms
    model: type
    job_kind: str
    fields: dict  # field name -> label
    aliases: dict  # field name -> normalised header names it is suggested for
    needs_one_of: tuple  # a mapping must fill at least one of these fields
    needs_message: str
    unknown_message: str  # with {fields} and {choices}
    title: str  # with {name}
    check_title: str  # with {name}, for a dry run
    mapping_key: str
    # Fields that are not model fields: the model field whose restriction hides them too.
    stands_for: dict | None = None

    @property
    def label(self):
        return self.model._meta.verbose_name_plural


def normalise(header: str) -> str:
    return re.sub(r"[\s\-_.:：/()（）]", "", header.lower())


# --- Targets and the mapping ------------------------------------------------------------------


def custom_definitions(kind: ImportKind, user) -> list:
    return access.visible_definitions(kind.model, user)


def hidden_targets(kind: ImportKind, user) -> set[str]:
    """The fields (and "custom.<code>" names) hidden from ``user``: never offered, refused."""
    hidden = access.hidden_fields(kind.model, user)
    stands_for = kind.stands_for or {}
    return {name for name in kind.fields if stands_for.get(name, name) in hidden} | {
        name for name in hidden if name.startswith(access.CUSTOM_PREFIX)}


def targets(kind: ImportKind, user) -> dict:
    """Field name -> label of everything ``user`` may fill from a column: the kind's fields
    and its custom fields ("custom.<code>"), less the fields hidden from the user."""
    hidden = hidden_targets(kind, user)
    found = {name: str(label) for name, label in kind.fields.items() if name not in hidden}
    for field in custom_definitions(kind, user):
        found[access.custom_key(field.code)] = field.display_label
    return found


def _aliases(kind: ImportKind, user) -> dict:
    hidden = hidden_targets(kind, user)
    found = {name: names for name, names in kind.aliases.items() if name not in hidden}
    for field in custom_definitions(kind, user):
        names = {normalise(name) for name in (field.code, field.label, field.label_zh_hans)
                 if name}
        found[access.custom_key(field.code)] = names
    return found


def layout_key(kind: ImportKind, headers: list[str]) -> str:
    """The cache key of one file layout: a hash of its sorted headers (the default cache
    prefixes keys with the tenant's schema, so layouts are remembered per tenant)."""
    digest = hashlib.sha256("\x1f".join(sorted(headers)).encode()).hexdigest()
    return f"{kind.mapping_key}:{digest}"


def suggest_mapping(kind: ImportKind, headers: list[str], user) -> dict:
    mapping, taken = {}, set()
    aliases = _aliases(kind, user)
    for header in headers:
        key = normalise(header)
        for field, names in aliases.items():
            if field not in taken and key in names:
                mapping[header] = field
                taken.add(field)
                break
    return mapping


def remembered_mapping(kind: ImportKind, headers: list[str], user) -> dict | None:
    """The mapping last used for this layout, less what this user may not fill."""
    remembered = cache.get(layout_key(kind, headers))
    if remembered is None:
        return None
    allowed = targets(kind, user)
    return {column: field for column, field in remembered.items()
            if field in allowed and column in headers}


def remember_mapping(kind: ImportKind, headers: list[str], mapping: dict) -> None:
    cache.set(layout_key(kind, headers), mapping, MAPPING_TIMEOUT)


def proposed_mapping(kind: ImportKind, headers: list[str], user) -> tuple[dict, str]:
    remembered = remembered_mapping(kind, headers, user)
    if remembered is not None:
        return remembered, "remembered"
    return suggest_mapping(kind, headers, user), "suggested"


def check_mapping(kind: ImportKind, mapping, headers: list[str], user) -> dict:
    """The mapping without unmapped columns; UploadError when it cannot work."""
    if not isinstance(mapping, dict):
        raise UploadError(format_lazy(_("The mapping must be an object of column header → "
                                        "field name ({kind})."), kind=kind.label))
    cleaned = {str(column): str(field) for column, field in mapping.items() if field}
    unknown_columns = sorted(set(cleaned) - set(headers))
    if unknown_columns:
        raise UploadError(format_lazy(_("The file has no column named: {columns}."),
                                      columns=", ".join(unknown_columns)))
    refused = sorted(set(cleaned.values()) & hidden_targets(kind, user))
    if refused:
        raise UploadError(format_lazy(_("You may not import into these fields: {fields}."),
                                      fields=", ".join(refused)))
    allowed = targets(kind, user)
    unknown_fields = sorted(set(cleaned.values()) - set(allowed))
    if unknown_fields:
        raise UploadError(format_lazy(kind.unknown_message, fields=", ".join(unknown_fields),
                                      choices=", ".join(allowed)))
    fields = list(cleaned.values())
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        raise UploadError(format_lazy(_("Each field can be filled from one column only: "
                                        "{fields}."), fields=", ".join(twice)))
    if not set(kind.needs_one_of) & set(fields):
        raise UploadError(kind.needs_message)
    return cleaned


def preview(kind: ImportKind, binary, fmt: str, user) -> dict:
    """Headers, the mapping to propose (remembered for this layout, else suggested), the
    fields to choose from and the first rows of an upload."""
    table = Table(binary, fmt)
    try:
        rows = table.head(PREVIEW_ROWS)
    finally:
        table.close()
    mapping, source = proposed_mapping(kind, table.headers, user)
    return {
        "kind": kind.code, "format": fmt, "encoding": table.encoding,
        "headers": table.headers, "mapping": mapping, "mapping_source": source,
        "fields": targets(kind, user),
        "rows": [dict(zip(table.headers, cells, strict=True)) for cells in rows],
    }


# --- What the importers share ---------------------------------------------------------------


def staff_by_email() -> dict:
    users = get_user_model().objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
    return {email.lower(): pk for pk, email in users.values_list("pk", "email").distinct()}


def visible_ids(model, user) -> set | None:
    """Ids of the live records ``user`` may see, or None when they see every record."""
    if visible_filter(user) is None:
        return None
    return set(visible(model.objects.all(), user).values_list("pk", flat=True))


def check_length(value: str, limit: int, label) -> None:
    if len(value) > limit:
        raise RowError(format_lazy(_("{field} is longer than {limit} characters."),
                                   field=label, limit=limit))


class CustomColumns:
    """The custom fields a mapping fills, parsed cell by cell into their stored forms."""

    def __init__(self, kind: ImportKind, user, columns: list[tuple[str, int]]):
        definitions = {field.code: field for field in custom_definitions(kind, user)}
        self.columns = []
        for target, index in columns:
            if not target.startswith(access.CUSTOM_PREFIX):
                continue
            field = definitions.get(target.removeprefix(access.CUSTOM_PREFIX))
            if field is None:  # deleted, or hidden from the user, since the import was queued
                raise UploadError(format_lazy(_("The field {field} cannot be imported into "
                                                "any more."), field=target))
            self.columns.append((target, field, index))

    def parse(self, cells: list[str], *, new: bool) -> dict:
        """Code -> stored value of the non-blank cells; a required field left blank is an
        error only for a new record (an update keeps what the record has)."""
        found = {}
        for target, field, index in self.columns:
            raw = cells[index]
            if not raw.strip():
                if new and field.required:
                    raise RowError(format_lazy(_("{field} is required."),
                                               field=field.display_label), field=target)
                continue
            try:
                stored = values.parse(field, raw)
            except ValidationError as exc:
                raise RowError(format_lazy(_("{field}: {problem}"), field=field.display_label,
                                           problem=" ".join(exc.messages)),
                               field=target) from exc
            if stored is not None:
                found[field.code] = stored
        return found


def update_rows(model, records: list, names: list[str]) -> None:
    """One UPDATE ... FROM (VALUES ...) per batch: bulk_update's CASE per field grows with
    the square of the batch size."""
    if not records:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    types = [meta.pk.db_type(connection)] + [
        f.rel_db_type(connection) if f.is_relation else f.db_type(connection) for f in fields]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    row = "(" + ", ".join(f"%s::{kind}" for kind in types) + ")"
    params = []
    for record in records:
        params.append(record.pk)
        params.extend(f.get_db_prep_save(getattr(record, f.attname), connection)
                      for f in fields)
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    sql = (f"UPDATE {quote(meta.db_table)} AS c SET {assignments} "  # noqa: S608 - names only
           f"FROM (VALUES {', '.join([row] * len(records))}) "
           f"AS v({quote('id')}, {', '.join(columns)}) WHERE c.{quote(meta.pk.column)} = v.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def audit(model, job_id: str, user, counts: dict) -> None:
    """The audit trail records an import once per action, not once per row."""
    entries = [(AuditEntry.Action.CREATED, counts["created"])]
    if counts["updated"]:
        entries.append((AuditEntry.Action.UPDATED, counts["updated"]))
    AuditEntry.objects.bulk_create([
        AuditEntry(record_type=model._meta.label_lower, record_id="*", action=action,
                   actor=user, changes={"import": job_id, "rows": rows})
        for action, rows in entries])


# --- The job ----------------------------------------------------------------------------------


class RowErrors:
    """Per-row problems on the job: the generic item and message, plus what the error report
    shows (row number, column, field, value, and the row's cells beside their headers)."""

    def __init__(self, progress, headers: list[str], mapping: dict, fields: dict):
        self.progress, self.headers, self.fields = progress, headers, fields
        self.column_of = {field: column for column, field in mapping.items()}

    def add(self, number: int, cells: list[str], exc: RowError) -> None:
        errors = self.progress.job.errors
        kept = len(errors) < MAX_ERRORS
        self.progress.item_failed(format_lazy(_("row {number}"), number=number), exc)
        if not kept:
            return
        column = self.column_of.get(exc.field, "")
        errors[-1].update({
            "row": number, "column": column, "field": str(self.fields.get(exc.field, "")),
            "value": cells[self.headers.index(column)] if column else "",
            "cells": [[header, cell] for header, cell in zip(self.headers, cells, strict=True)],
        })


@contextmanager
def stored_file(name: str):
    try:
        with default_storage.open(name, "rb") as binary:
            yield binary
    finally:
        default_storage.delete(name)


def run_import(kind: ImportKind, importer_class, job_id: str, *, name: str, fmt: str,
               encoding: str, mapping: dict, duplicates: str, dry_run: bool,
               user_id: int) -> dict:
    """Read the stored upload and import it, all or nothing, reporting per-row errors."""
    user = get_user_model().objects.get(pk=user_id)
    with JobProgress(job_id) as progress, stored_file(name) as binary, acting_as(user):
        table = Table(binary, fmt, encoding)
        try:
            progress.set_total(table.count())
            importer = importer_class(user=user, mapping=mapping, headers=table.headers,
                                      duplicates=duplicates, progress=progress)
            errors = RowErrors(progress, table.headers, mapping, targets(kind, user))
            try:
                with transaction.atomic():
                    for number, cells in table.rows():
                        try:
                            importer.add(cells)
                        except RowError as exc:
                            importer.counts["failed"] += 1
                            errors.add(number, cells, exc)
                    importer.flush()
                    if not dry_run:
                        audit(kind.model, job_id, user, importer.counts)
                    else:
                        transaction.set_rollback(True)
            except UploadError:
                raise
            except Exception as exc:
                raise ImportFailed(format_lazy(
                    _("The import stopped and nothing was imported: {error}"),
                    error=str(exc) or type(exc).__name__)) from exc
        finally:
            table.close()
        result = {**importer.counts, "rows": progress.job.total, "dry_run": dry_run,
                  "duplicates": duplicates}
        progress.finish(result=result)
    return result
