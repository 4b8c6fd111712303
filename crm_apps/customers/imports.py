"""Contact import from CSV or XLSX: reading uploads, mapping columns, and the import job."""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from contextlib import contextmanager

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as
from core.models import AuditEntry
from core.roles import STAFF_ROLES
from crm_apps.customers.models import Account, Contact
from realtime.jobs import JobProgress, start_job

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
BATCH_SIZE = 2000
PREVIEW_ROWS = 10
MAPPING_TIMEOUT = 365 * 24 * 3600  # remembered layouts live in the (tenant-scoped) cache
FORMATS = ("csv", "xlsx")
DUPLICATE_MODES = ("skip", "update", "create")
SNIFF_BYTES = 64 * 1024
READ_CHUNK = 1024 * 1024

# Contact fields a column can fill; "company" finds or creates an account by name and
# "owner" names a staff member by e-mail.
FIELDS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "mobile": _("Mobile"),
    "title": _("Job title"),
    "company": _("Company"),
    "lifecycle_stage": _("Lifecycle stage"),
    "email_consent": _("Consents to e-mail"),
    "consent_source": _("Consent source"),
    "owner": _("Owner (e-mail of a colleague)"),
}
# Header names (normalised: lower case, no spaces or punctuation) each field is suggested for.
ALIASES = {
    "first_name": {"firstname", "givenname", "forename", "first", "名", "名字"},
    "last_name": {"lastname", "surname", "familyname", "last", "姓", "姓氏"},
    "email": {"email", "emailaddress", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址",
              "电子邮件地址"},
    "phone": {"phone", "telephone", "tel", "phonenumber", "电话", "电话号码", "座机", "固定电话",
              "联系电话"},
    "mobile": {"mobile", "mobilephone", "cell", "cellphone", "手机", "手机号", "手机号码",
               "移动电话"},
    "title": {"title", "jobtitle", "position", "role", "职位", "职务", "头衔", "职称"},
    "company": {"company", "companyname", "account", "organization", "organisation",
                "employer", "公司", "公司名称", "单位", "企业", "企业名称"},
    "lifecycle_stage": {"stage", "lifecyclestage", "lifecycle", "阶段", "生命周期阶段",
                        "客户阶段"},
    "email_consent": {"emailconsent", "consent", "optin", "marketingconsent", "同意邮件",
                      "邮件同意", "同意接收邮件"},
    "consent_source": {"consentsource", "同意来源"},
    "owner": {"owner", "contactowner", "负责人", "所有者", "归属人"},
}
TRUE_WORDS = {"1", "true", "yes", "y", "x", "on", "是", "同意", "对"}
FALSE_WORDS = {"", "0", "false", "no", "n", "off", "否", "不同意", "不"}
MAX_LENGTHS = {name: Contact._meta.get_field(name).max_length
               for name in ("first_name", "last_name", "email", "phone", "mobile", "title",
                            "consent_source")}
MAX_LENGTHS["company"] = Account._meta.get_field("name").max_length


class UploadError(ValueError):
    """An upload that cannot be imported at all (type, encoding, size, layout)."""


class RowError(ValueError):
    """One row that cannot be imported; the others go ahead."""


class ImportFailed(RuntimeError):
    """The import stopped; everything it had written was rolled back."""


# --- Reading uploads -------------------------------------------------------------------------


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


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into Excel come back as 13800138000.0
    return str(value).strip()


def _unique_headers(cells) -> list[str]:
    headers, seen = [], {}
    for number, cell in enumerate(cells, start=1):
        header = _text(cell) or f"#{number}"
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
        if first is None or not any(_text(cell) for cell in first):
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
            texts = [_text(cell) for cell in cells[:width]]
            if any(texts):
                yield number, texts + [""] * (width - len(texts))

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


def normalise(header: str) -> str:
    return re.sub(r"[\s\-_.:：/()（）]", "", header.lower())


def layout_key(headers: list[str]) -> str:
    """The cache key of one file layout: a hash of its sorted headers (the default cache
    prefixes keys with the tenant's schema, so layouts are remembered per tenant)."""
    digest = hashlib.sha256("\x1f".join(sorted(headers)).encode()).hexdigest()
    return f"customers:contact-import-mapping:{digest}"


def suggest_mapping(headers: list[str]) -> dict:
    mapping, taken = {}, set()
    for header in headers:
        key = normalise(header)
        for field, aliases in ALIASES.items():
            if field not in taken and key in aliases:
                mapping[header] = field
                taken.add(field)
                break
    return mapping


def remembered_mapping(headers: list[str]) -> dict | None:
    return cache.get(layout_key(headers))


def remember_mapping(headers: list[str], mapping: dict) -> None:
    cache.set(layout_key(headers), mapping, MAPPING_TIMEOUT)


def check_mapping(mapping, headers: list[str]) -> dict:
    """The mapping without unmapped columns; UploadError when it cannot work."""
    if not isinstance(mapping, dict):
        raise UploadError(_("The mapping must be an object of column header → contact field."))
    cleaned = {str(column): field for column, field in mapping.items() if field}
    unknown_columns = sorted(set(cleaned) - set(headers))
    if unknown_columns:
        raise UploadError(format_lazy(_("The file has no column named: {columns}."),
                                      columns=", ".join(unknown_columns)))
    unknown_fields = sorted({str(f) for f in cleaned.values()} - set(FIELDS))
    if unknown_fields:
        raise UploadError(format_lazy(_("Unknown contact field(s): {fields}. Choose from: "
                                        "{choices}."), fields=", ".join(unknown_fields),
                                      choices=", ".join(FIELDS)))
    fields = list(cleaned.values())
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        raise UploadError(format_lazy(_("Each field can be filled from one column only: "
                                        "{fields}."), fields=", ".join(twice)))
    if not {"email", "first_name", "last_name"} & set(fields):
        raise UploadError(_("Map at least one of the e-mail, first name or last name columns."))
    return cleaned


def preview(binary, fmt: str) -> dict:
    """Headers, the mapping to propose (remembered for this layout, else suggested) and the
    first rows of an upload."""
    table = Table(binary, fmt)
    try:
        rows = []
        for _number, cells in table.rows():
            rows.append(dict(zip(table.headers, cells, strict=True)))
            if len(rows) == PREVIEW_ROWS:
                break
    finally:
        table.close()
    remembered = remembered_mapping(table.headers)
    return {
        "format": fmt, "encoding": table.encoding, "headers": table.headers,
        "mapping": remembered if remembered is not None else suggest_mapping(table.headers),
        "mapping_source": "remembered" if remembered is not None else "suggested",
        "fields": {name: str(label) for name, label in FIELDS.items()},
        "rows": rows,
    }


# --- Starting an import ----------------------------------------------------------------------


def queue_import(user, upload, *, mapping, duplicates: str, dry_run: bool,
                 language: str = ""):
    """Check the upload and the mapping, store the file, start the job and queue its task
    (once the job row is committed). Raises UploadError for anything that cannot start."""
    if duplicates not in DUPLICATE_MODES:
        raise UploadError(format_lazy(_("duplicates must be one of: {modes}."),
                                      modes=", ".join(DUPLICATE_MODES)))
    binary = upload.file
    binary.seek(0)
    fmt = file_format(upload.name, binary.read(8))
    table = Table(binary, fmt)
    try:
        headers, encoding = table.headers, table.encoding
    finally:
        table.close()
    mapping = check_mapping(mapping, headers)
    remember_mapping(headers, mapping)
    title = (_("Check contact import: {name}") if dry_run
             else _("Import contacts: {name}"))
    job = start_job(owner=user, kind="contact-import", title=format_lazy(title, name=upload.name))
    upload.seek(0)
    stored = default_storage.save(f"imports/{job.pk}.{fmt}", upload)
    options = {"name": stored, "fmt": fmt, "encoding": encoding, "mapping": mapping,
               "duplicates": duplicates, "dry_run": dry_run, "user_id": user.pk,
               "language": language}
    # robust: when tasks run in place (no broker), a failed import is reported on its job
    # page, not as an error of the request that queued it.
    transaction.on_commit(lambda: import_contacts.delay(str(job.pk), **options), robust=True)
    return job


# --- The import itself -----------------------------------------------------------------------


def _stage_lookup() -> dict:
    """Stage codes and labels (English and Chinese), lower case → code."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in Contact.Stage.choices:
                lookup[code] = code
                lookup[str(label).lower()] = code
    return lookup


def _staff_by_email() -> dict:
    users = get_user_model().objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
    return {email.lower(): pk for pk, email in users.values_list("pk", "email").distinct()}


def _existing_emails() -> dict:
    """Lower-case e-mail → pk of every live contact (main and other addresses), one query."""
    found = {}
    for pk, email, others in Contact.objects.values_list("pk", "email", "other_emails"):
        if email:
            found.setdefault(email.lower(), pk)
        for other in others or ():
            if isinstance(other, str) and other:
                found.setdefault(other.lower(), pk)
    return found


class ContactImporter:
    """Turns rows into contacts in batches: precomputed lookups, no query per row."""

    def __init__(self, *, user, mapping: dict, headers: list[str], duplicates: str, progress):
        self.user, self.duplicates, self.progress = user, duplicates, progress
        self.columns = [(field, headers.index(column)) for column, field in mapping.items()]
        self.fields = {field for field, _index in self.columns}
        self.stages = _stage_lookup()
        self.staff = _staff_by_email() if "owner" in self.fields else {}
        self.existing = _existing_emails()
        self.accounts = ({name.lower(): pk for pk, name in
                          Account.objects.values_list("pk", "name").order_by("pk")}
                         if "company" in self.fields else {})
        self.now = timezone.now()
        self.new_accounts: dict[str, Account] = {}
        self.new_contacts: list[Contact] = []
        self.pending: dict[str, Contact] = {}  # e-mail → contact of this batch, unsaved
        self.updates: dict[int, dict] = {}  # pk → fields, for existing contacts
        self.in_batch = 0
        self.counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0,
                       "accounts_created": 0}

    def clean(self, cells: list[str]) -> dict:
        values = {field: cells[index] for field, index in self.columns}
        for field, limit in MAX_LENGTHS.items():
            if len(values.get(field, "")) > limit:
                raise RowError(format_lazy(_("{field} is longer than {limit} characters."),
                                           field=FIELDS[field], limit=limit))
        email = values.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise RowError(format_lazy(_("“{value}” is not a valid e-mail address."),
                                           value=values["email"])) from exc
            values["email"] = email
        elif not values.get("first_name") and not values.get("last_name"):
            raise RowError(_("The row has neither a name nor an e-mail address."))
        if "lifecycle_stage" in values:
            stage = values["lifecycle_stage"]
            if stage:
                code = self.stages.get(stage.lower())
                if code is None:
                    raise RowError(format_lazy(
                        _("“{value}” is not a lifecycle stage. Choose from: {choices}."),
                        value=stage, choices=", ".join(Contact.Stage.values)))
                values["lifecycle_stage"] = code
        if "email_consent" in values:
            word = values["email_consent"].lower()
            if word in TRUE_WORDS:
                values["email_consent"] = True
            elif word in FALSE_WORDS:
                values["email_consent"] = False
            else:
                raise RowError(format_lazy(_("“{value}” is not yes or no (e-mail consent)."),
                                           value=values["email_consent"]))
        if values.get("owner"):
            owner = self.staff.get(values["owner"].lower())
            if owner is None:
                raise RowError(format_lazy(_("No colleague has the e-mail address “{value}”."),
                                           value=values["owner"]))
            values["owner"] = owner
        return values

    def _contact_fields(self, values: dict, *, new: bool) -> dict:
        """Model attributes from cleaned values; an update keeps what blank cells would wipe."""
        data = {}
        for field, value in values.items():
            # The e-mail found the contact (maybe among its other addresses): it stays as is.
            if field in ("company", "owner", "email_consent") or (field == "email" and not new):
                continue
            if value or (new and field in ("first_name", "last_name")):
                data[field] = value
        if values.get("owner"):
            data["owner_id"] = values["owner"]
        elif new:
            data["owner_id"] = self.user.pk
        if values.get("email_consent") is True:
            data.update(email_consent=True, consent_date=self.now,
                        consent_source=values.get("consent_source") or "import")
        elif values.get("email_consent") is False and "email_consent" in values:
            data["email_consent"] = False
        company = values.get("company", "")
        if company:
            key = company.lower()
            if key not in self.accounts and key not in self.new_accounts:
                self.new_accounts[key] = Account(name=company, owner_id=self.user.pk)
            data["_company"] = key
        return data

    def add(self, cells: list[str]) -> None:
        values = self.clean(cells)
        email = values.get("email", "")
        target = None
        if email and self.duplicates != "create":
            target = self.pending.get(email) or self.existing.get(email)
        if target is not None and self.duplicates == "skip":
            self.counts["skipped"] += 1
        elif isinstance(target, Contact):  # update a contact added earlier in this batch
            for field, value in self._contact_fields(values, new=False).items():
                setattr(target, field, value)
        elif target is not None:
            self.updates.setdefault(target, {}).update(self._contact_fields(values, new=False))
        else:
            data = self._contact_fields(values, new=True)
            company = data.pop("_company", None)
            contact = Contact(**data)
            contact._company = company
            self.new_contacts.append(contact)
            if email:
                self.pending.setdefault(email, contact)
        self.in_batch += 1
        if self.in_batch >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.new_accounts:
            created = Account.objects.bulk_create(list(self.new_accounts.values()),
                                                  batch_size=BATCH_SIZE)
            self.accounts.update((account.name.lower(), account.pk) for account in created)
            self.counts["accounts_created"] += len(created)
            self.new_accounts = {}
        for contact in self.new_contacts:
            company = getattr(contact, "_company", None)
            if company:
                contact.account_id = self.accounts[company]
        write_batch(self.new_contacts)
        for contact in self.new_contacts:
            if contact.email:
                self.existing.setdefault(contact.email, contact.pk)
        self.counts["created"] += len(self.new_contacts)
        self._apply_updates()
        self.progress.advance(self.in_batch)
        self.new_contacts, self.pending, self.in_batch = [], {}, 0

    def _apply_updates(self) -> None:
        if not self.updates:
            return
        contacts = Contact.objects.in_bulk(list(self.updates))
        changed = set()
        for pk, data in self.updates.items():
            contact = contacts.get(pk)
            if contact is None:
                continue
            company = data.pop("_company", None)
            if company:
                data["account_id"] = self.accounts[company]
            for field, value in data.items():
                setattr(contact, field, value)
            changed.update(data)
        for contact in contacts.values():
            contact.updated = self.now
        update_rows(list(contacts.values()), sorted(changed | {"updated"}))
        self.counts["updated"] += len(contacts)
        self.updates = {}


def update_rows(contacts: list[Contact], names: list[str]) -> None:
    """One UPDATE ... FROM (VALUES ...) per batch: bulk_update's CASE per field grows with
    the square of the batch size."""
    if not contacts:
        return
    meta = Contact._meta
    fields = [meta.get_field(name) for name in names]
    types = [meta.pk.db_type(connection)] + [
        f.rel_db_type(connection) if f.is_relation else f.db_type(connection) for f in fields]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    row = "(" + ", ".join(f"%s::{kind}" for kind in types) + ")"
    params = []
    for contact in contacts:
        params.append(contact.pk)
        params.extend(f.get_db_prep_save(getattr(contact, f.attname), connection)
                      for f in fields)
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    sql = (f"UPDATE {quote(meta.db_table)} AS c SET {assignments} "  # noqa: S608 - names only
           f"FROM (VALUES {', '.join([row] * len(contacts))}) "
           f"AS v({quote('id')}, {', '.join(columns)}) WHERE c.{quote(meta.pk.column)} = v.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def write_batch(contacts: list[Contact]) -> None:
    """One batch of new contacts in one INSERT (the audit trail records the import once)."""
    Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)


@contextmanager
def stored_file(name: str):
    try:
        with default_storage.open(name, "rb") as binary:
            yield binary
    finally:
        default_storage.delete(name)


def _audit(job_id: str, user, counts: dict) -> None:
    entries = [(AuditEntry.Action.CREATED, counts["created"])]
    if counts["updated"]:
        entries.append((AuditEntry.Action.UPDATED, counts["updated"]))
    AuditEntry.objects.bulk_create([
        AuditEntry(record_type=Contact._meta.label_lower, record_id="*", action=action,
                   actor=user, changes={"import": job_id, "rows": rows})
        for action, rows in entries])


def run_import(job_id: str, *, name: str, fmt: str, encoding: str, mapping: dict,
               duplicates: str, dry_run: bool, user_id: int) -> dict:
    """Read the stored upload and import it, all or nothing, reporting per-row errors."""
    user = get_user_model().objects.get(pk=user_id)
    with JobProgress(job_id) as progress, stored_file(name) as binary, acting_as(user):
        table = Table(binary, fmt, encoding)
        try:
            progress.set_total(table.count())
            importer = ContactImporter(user=user, mapping=mapping, headers=table.headers,
                                       duplicates=duplicates, progress=progress)
            try:
                with transaction.atomic():
                    for number, cells in table.rows():
                        try:
                            importer.add(cells)
                        except RowError as exc:
                            importer.counts["failed"] += 1
                            progress.item_failed(format_lazy(_("row {number}"), number=number),
                                                 exc)
                    importer.flush()
                    if not dry_run:
                        _audit(job_id, user, importer.counts)
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


@shared_task(name="customers.import_contacts")
def import_contacts(job_id: str, *, language: str = "", **options) -> dict:
    """The import job: messages in the language of the user who started it."""
    with translation.override(language or None):
        return run_import(job_id, **options)
