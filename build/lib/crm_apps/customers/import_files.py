"""Reading uploaded CSV and XLSX files for the imports, and keeping uploads between page steps."""

import codecs
import csv
import io
import re
import secrets
import zipfile
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FORMATS = ("csv", "xlsx")
SNIFF_BYTES = 64 * 1024
READ_CHUNK = 1024 * 1024
STAGED_FOLDER = "imports/staged"
STAGED_LIFETIME = timedelta(days=1)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadError(ValueError):
    """An upload that cannot be imported at all (type, encoding, size, layout)."""


def file_format(filename: str, head: bytes) -> str:
    """"csv" or "xlsx" from the name and the first bytes; UploadError for anything else."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        if not head.startswith(b"PK\x03\x04"):
            raise UploadError(_("The file is named .xlsx but is not an Excel workbook."))
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        if head.startswith(b"PK\x03\x04") or b"\x00" in head:
            raise UploadError(_("The file is named .csv but holds binary data, not text."))
        return "csv"
    if name.endswith(".xls"):
        raise UploadError(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx "
                            "or CSV first."))
    raise UploadError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))


def _decodes_as(binary, encoding: str) -> bool:
    binary.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := binary.read(READ_CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        binary.seek(0)
    return True


def detect_encoding(binary) -> str:
    """UTF-8 (with or without a byte order mark), else GB18030 (Chinese Excel's CSV)."""
    binary.seek(0)
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    if b"\x00" in head:
        raise UploadError(_("The file is named .csv but holds binary data, not text."))
    bom = head[:3]
    if bom == codecs.BOM_UTF8:
        if _decodes_as(binary, "utf-8-sig"):
            return "utf-8-sig"
    elif _decodes_as(binary, "utf-8"):
        return "utf-8"
    elif _decodes_as(binary, "gb18030"):
        return "gb18030"
    raise UploadError(_("The text could not be read: save the CSV as UTF-8 (or GB18030) "
                        "and upload it again."))


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into Excel come back as 13800138000.0
    return str(value).strip()


def _unique_headers(cells) -> list[str]:
    headers, seen = [], {}
    for number, cell in enumerate(cells, start=1):
        header = cell_text(cell) or f"#{number}"
        seen[header] = seen.get(header, 0) + 1
        headers.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return headers


class Table:
    """The rows of an uploaded sheet, read lazily: ``headers`` and ``rows()`` (row number as
    the spreadsheet shows it, cells as text)."""

    def __init__(self, binary, fmt: str, encoding: str = ""):
        self.binary, self.fmt = binary, fmt
        self.encoding = encoding or (detect_encoding(binary) if fmt == "csv" else "")
        self._workbook = None
        first = next(self._raw_rows(), None)
        if first is None or not any(cell_text(cell) for cell in first):
            raise UploadError(_("The file is empty: the first row must name the columns."))
        self.headers = _unique_headers(first)

    def _raw_rows(self):
        if self.fmt == "csv":
            self.binary.seek(0)
            text = io.TextIOWrapper(self.binary, encoding=self.encoding, newline="")
            try:
                first_line = text.readline(SNIFF_BYTES)
                text.seek(0)
                delimiter = max(",;\t", key=first_line.count)
                yield from csv.reader(text, delimiter=delimiter if first_line.count(
                    delimiter) else ",")
            except csv.Error as exc:
                raise UploadError(format_lazy(_("The CSV file is malformed: {error}"),
                                              error=exc)) from exc
            finally:
                text.detach()  # leave the underlying file open for the next pass
        else:
            yield from self._sheet().iter_rows(values_only=True)

    def _sheet(self):
        import openpyxl

        if self._workbook is None:
            self.binary.seek(0)
            try:
                self._workbook = openpyxl.load_workbook(self.binary, read_only=True,
                                                        data_only=True)
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
                raise UploadError(_("The Excel file could not be read: it may be damaged or "
                                    "protected by a password.")) from exc
        sheet = self._workbook.active
        if sheet is None:
            raise UploadError(_("The Excel file has no worksheet."))
        return sheet

    def rows(self):
        """(row number, cells) of every non-blank row after the header row."""
        width = len(self.headers)
        raw = self._raw_rows()
        next(raw, None)
        for number, cells in enumerate(raw, start=2):
            texts = [cell_text(cell) for cell in cells[:width]]
            if any(texts):
                yield number, texts + [""] * (width - len(texts))

    def head(self, count: int) -> list[list[str]]:
        """The cells of the first ``count`` rows."""
        rows = []
        for _number, cells in self.rows():
            rows.append(cells)
            if len(rows) == count:
                break
        return rows

    def count(self) -> int:
        if self.fmt == "xlsx":
            sheet = self._sheet()
            if sheet.max_row:  # from the sheet's recorded dimensions
                return max(sheet.max_row - 1, 0)
        return sum(1 for _row in self.rows())

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None


def read_upload(upload, *, scan: bool = False) -> tuple[str, str, list[str]]:
    """(format, encoding, headers) of an uploaded file; UploadError when it cannot be read.
    With ``scan``, every CSV line is read once (a malformed line deep inside is reported
    now, on the page, rather than by the job)."""
    binary = upload.file if hasattr(upload, "file") else upload
    binary.seek(0)
    fmt = file_format(getattr(upload, "name", ""), binary.read(8))
    table = Table(binary, fmt)
    try:
        if scan and fmt == "csv":
            for _row in table.rows():
                pass
        else:
            table.head(1)
        return fmt, table.encoding, table.headers
    finally:
        table.close()
        binary.seek(0)


# --- Uploads kept between the steps of the import pages ----------------------------------------
# The default storage is per tenant (MEDIA_ROOT/<schema>/...); the name holds the user's id and
# a random token, so one user's upload is never found from another user's session.


def _staged_prefix(user) -> str:
    return f"{STAGED_FOLDER}/{user.pk}-"


def stage_upload(user, upload, fmt: str) -> str:
    """Keep ``upload`` for the next step; returns its token. Uploads older than a day,
    abandoned on the way, are removed at the same time."""
    remove_stale_uploads()
    token = secrets.token_urlsafe(24)
    upload.seek(0)
    default_storage.save(f"{_staged_prefix(user)}{token}.{fmt}", upload)
    return token


def staged_name(user, token: str, fmt: str) -> str | None:
    """The storage name of the user's kept upload, or None when it is not (or no more) there."""
    if not TOKEN_PATTERN.match(token or "") or fmt not in FORMATS:
        return None
    name = f"{_staged_prefix(user)}{token}.{fmt}"
    return name if default_storage.exists(name) else None


def discard_staged(name: str) -> None:
    if name and default_storage.exists(name):
        default_storage.delete(name)


def remove_stale_uploads(now=None) -> int:
    """Delete this tenant's kept uploads older than STAGED_LIFETIME; returns how many."""
    cutoff = (now or timezone.now()) - STAGED_LIFETIME
    try:
        _folders, files = default_storage.listdir(STAGED_FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for filename in files:
        name = f"{STAGED_FOLDER}/{filename}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
        except FileNotFoundError:  # removed meanwhile by its own import
            continue
    return removed
