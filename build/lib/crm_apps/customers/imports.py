"""Contact and account import from CSV or XLSX: starting the job, and the job's tasks.

Reading files is in import_files, the shared machinery in import_base, each importer in
import_contacts and import_accounts.
"""

import uuid

from celery import shared_task
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.customers import import_base
from crm_apps.customers.import_accounts import ACCOUNTS, AccountImporter
from crm_apps.customers.import_base import (  # noqa: F401 - the import's public names
    DUPLICATE_MODES,
    ImportFailed,
    RowError,
    check_mapping,
    remember_mapping,
)
from crm_apps.customers.import_contacts import CONTACTS, ContactImporter
from crm_apps.customers.import_files import (  # noqa: F401 - the import's public names
    MAX_UPLOAD_BYTES,
    UploadError,
    file_format,
    read_upload,
)
from crm_apps.customers.import_report import IMPORT_JOB_KINDS
from realtime.jobs import ERROR_REPORTS, start_job

KINDS = {kind.code: kind for kind in (CONTACTS, ACCOUNTS)}
JOB_KINDS = {kind.job_kind: kind for kind in KINDS.values()}
# The job page links the import's own error report (row, column, value and the row's cells).
ERROR_REPORTS.update({job_kind: "customer-imports:report" for job_kind in JOB_KINDS})
TASKS: dict = {}  # kind code -> the Celery task that runs its job (filled below)


def register(kind, task) -> None:
    """Offer another kind of record (another app's, such as leads) on the import page and
    API: ``task(job_id, *, language, **options)`` runs its job, like import_contacts."""
    KINDS[kind.code] = kind
    JOB_KINDS[kind.job_kind] = kind
    TASKS[kind.code] = task
    ERROR_REPORTS[kind.job_kind] = "customer-imports:report"
    IMPORT_JOB_KINDS.add(kind.job_kind)


def kind_named(code: str):
    kind = KINDS.get(code)
    if kind is None:
        raise UploadError(format_lazy(_("Import one of: {kinds}."), kinds=", ".join(KINDS)))
    return kind


def preview(binary, fmt: str, *, user, kind: str = "contacts") -> dict:
    return import_base.preview(kind_named(kind), binary, fmt, user)


def _check_duplicates(duplicates: str) -> None:
    if duplicates not in DUPLICATE_MODES:
        raise UploadError(format_lazy(_("duplicates must be one of: {modes}."),
                                      modes=", ".join(DUPLICATE_MODES)))


def _start(kind, user, *, filename: str, fmt: str, encoding: str, mapping: dict,
           duplicates: str, dry_run: bool, language: str, store):
    """The file stored for the job (``store(name)`` saves it), the job, and its task queued
    once the job row is committed."""
    # Stored first: a file that cannot be stored leaves no job waiting for it.
    stored = store(f"imports/{uuid.uuid4().hex}.{fmt}")
    title = kind.check_title if dry_run else kind.title
    job = start_job(owner=user, kind=kind.job_kind, title=format_lazy(title, name=filename))
    options = {"name": stored, "fmt": fmt, "encoding": encoding, "mapping": mapping,
               "duplicates": duplicates, "dry_run": dry_run, "user_id": user.pk,
               "language": language}
    task = TASKS[kind.code]
    # robust: when tasks run in place (no broker), a failed import is reported on its job
    # page, not as an error of the request that queued it.
    transaction.on_commit(lambda: task.delay(str(job.pk), **options), robust=True)
    return job


def queue_import(user, upload, *, mapping, duplicates: str, dry_run: bool,
                 language: str = "", kind: str = "contacts"):
    """Check the upload and the mapping, store the file, start the job and queue its task.
    Raises UploadError for anything that cannot start."""
    spec = kind_named(kind)
    _check_duplicates(duplicates)
    fmt, encoding, headers = read_upload(upload)
    mapping = check_mapping(spec, mapping, headers, user)
    remember_mapping(spec, headers, mapping)

    def store(name):
        upload.seek(0)
        return default_storage.save(name, upload)

    return _start(spec, user, filename=upload.name, fmt=fmt, encoding=encoding,
                  mapping=mapping, duplicates=duplicates, dry_run=dry_run, language=language,
                  store=store)


def queue_staged_import(user, staged: str, *, kind: str, filename: str, fmt: str,
                        encoding: str, headers: list[str], mapping, duplicates: str,
                        dry_run: bool, language: str = ""):
    """The same for an upload kept between the steps of the import pages (``staged`` is its
    storage name); the kept copy is removed once the job has its own."""
    spec = kind_named(kind)
    _check_duplicates(duplicates)
    mapping = check_mapping(spec, mapping, headers, user)
    remember_mapping(spec, headers, mapping)

    def store(name):
        try:
            with default_storage.open(staged, "rb") as binary:
                saved = default_storage.save(name, binary)
        except FileNotFoundError as exc:  # started twice at once: the other request took it
            raise UploadError(_("That upload is no longer available: upload the file "
                                "again.")) from exc
        default_storage.delete(staged)
        return saved

    return _start(spec, user, filename=filename, fmt=fmt, encoding=encoding, mapping=mapping,
                  duplicates=duplicates, dry_run=dry_run, language=language, store=store)


@shared_task(name="customers.import_contacts")
def import_contacts(job_id: str, *, language: str = "", **options) -> dict:
    """The contact import job: messages in the language of the user who started it."""
    with translation.override(language or None):
        return import_base.run_import(CONTACTS, ContactImporter, job_id, **options)


@shared_task(name="customers.import_accounts")
def import_accounts(job_id: str, *, language: str = "", **options) -> dict:
    """The account import job: messages in the language of the user who started it."""
    with translation.override(language or None):
        return import_base.run_import(ACCOUNTS, AccountImporter, job_id, **options)


TASKS.update({CONTACTS.code: import_contacts, ACCOUNTS.code: import_accounts})
