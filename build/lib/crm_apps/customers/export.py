"""Export of a filtered list to CSV or XLSX, streamed, visible rows and fields only, audited."""

import csv
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from core.audit import current_actor
from core.models import AuditEntry
from core.spreadsheets import safe_cell
from crm_apps.customization import access, values

FORMATS = ("csv", "xlsx")
CHUNK = 2000
# Bookkeeping columns no export carries (the record's own dates are in its history).
NOT_EXPORTED = {"created", "updated", "deleted_at", "custom"}
# Shared by every record; exported after the record's own fields.
COMMON_LAST = ("owner", "team", "tags", "classes")


def export_columns(model, user) -> list[str]:
    """The columns an export of ``model`` gives ``user``: id, the record's fields, then its
    custom fields as ``custom.<code>`` — never a field hidden from the user's roles."""
    names = [field.name for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
             if field.name not in NOT_EXPORTED]
    names = [name for name in names if name not in COMMON_LAST]
    names += [name for name in COMMON_LAST if name in {f.name for f in model._meta.get_fields()}]
    names += [access.custom_key(definition.code)
              for definition in access.visible_definitions(model, user)]
    hidden = access.hidden_fields(model, user)
    return [name for name in names if name not in hidden]


def _cell(value):
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return safe_cell(value)


def rows(queryset, columns: list[str]):
    """Serialized rows, fetched in chunks (100,000 rows never sit in memory at once)."""
    definitions = {access.custom_key(definition.code): definition
                   for definition in access.definitions(queryset.model)}
    for record in queryset.iterator(chunk_size=CHUNK):
        yield [_cell(_value(record, column, definitions)) for column in columns]


def _value(record, column: str, definitions: dict):
    if column in definitions:
        definition = definitions[column]
        return values.display(definition, (record.custom or {}).get(definition.code))
    if column in ("tags", "classes"):
        return sorted(str(item) for item in getattr(record, column).all())
    if column in ("owner", "team", "account", "parent"):
        related = getattr(record, column)
        return str(related) if related else ""
    return getattr(record, column)


class _Echo:
    def write(self, value):
        return value


def _audit(model, count_hint: str, filters: dict, fmt: str) -> None:
    AuditEntry.objects.create(record_type=model._meta.label_lower, record_id="*",
                              action=AuditEntry.Action.EXPORTED, actor=current_actor(),
                              changes={"format": fmt, "filters": filters, "rows": count_hint})


def export(queryset, columns: list[str], fmt: str, filename: str, filters: dict, user=None):
    """The response that downloads ``queryset`` as ``fmt``; the export is audited first.
    Columns hidden from ``user`` (by default the current actor) are left out whatever the
    caller asked for."""
    hidden = access.hidden_fields(queryset.model, user or current_actor())
    columns = [column for column in columns if column not in hidden]
    _audit(queryset.model, str(queryset.count()), filters, fmt)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # Excel reads UTF-8 (Chinese names) with a BOM
            yield writer.writerow(columns)
            for row in rows(queryset, columns):
                yield writer.writerow(row)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(filename)
    sheet.append(columns)
    for row in rows(queryset, columns):
        sheet.append(row)
    spool = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{filename}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")



