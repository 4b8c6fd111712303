"""Benchmark 5: importing 100,000 contacts from one CSV file in one tenant, in process.

Import after django.setup(): this module uses the project's models.
"""

import csv
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django_tenants.utils import tenant_context

from tests.bench.report import markdown_table, seconds, verdict

IMPORT_TARGET = 60.0
ROWS = 100_000
SLUG = "import-bench"
HEADERS = ["First name", "Last name", "E-mail", "Phone", "Company", "Job title", "Stage"]
MAPPING = {"First name": "first_name", "Last name": "last_name", "E-mail": "email",
           "Phone": "phone", "Company": "company", "Job title": "title",
           "Stage": "lifecycle_stage"}
ENGLISH_FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis"]
ENGLISH_LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov"]
CHINESE_FIRST = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳"]
CHINESE_LAST = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"]
COMPANIES = [f"Company {n}" for n in range(1000)] + [f"环球贸易{n}有限公司" for n in range(1000)]
STAGES = ["lead", "customer", "subscriber", "Opportunity", ""]


@dataclass(frozen=True)
class ImportRun:
    label: str
    rows: int
    seconds: float
    result: dict

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class ImportResult:
    runs: list[ImportRun]
    file_bytes: int
    contacts_after: int
    accounts_after: int

    @property
    def target_met(self) -> bool:
        return self.runs[0].seconds < IMPORT_TARGET


def write_csv(path: Path, rows: int) -> None:
    """``rows`` contacts, every other one with a Chinese name, unique e-mail addresses."""
    pick = random.Random(20240601)  # noqa: S311 - test data, not secrets
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for number in range(rows):
            if number % 2:
                first, last = pick.choice(CHINESE_FIRST), pick.choice(CHINESE_LAST)
            else:
                first, last = pick.choice(ENGLISH_FIRST), pick.choice(ENGLISH_LAST)
            writer.writerow([first, last, f"person{number}@example.com",
                             f"+86 138{number:08d}", pick.choice(COMPANIES),
                             pick.choice(["Manager", "经理", "Engineer", "工程师", ""]),
                             pick.choice(STAGES)])


def time_import(path: Path, user, duplicates: str, label: str) -> ImportRun:
    """The API's own path without HTTP: checks, storage, job, then the task (eager)."""
    from crm_apps.customers.imports import queue_import
    from realtime.models import Job

    started = time.perf_counter()
    with path.open("rb") as handle:
        job = queue_import(user, File(handle, name=path.name), mapping=MAPPING,
                           duplicates=duplicates, dry_run=False)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != Job.Status.SUCCEEDED or job.failed:
        raise RuntimeError(f"{label}: the import did not succeed cleanly: {job.status} "
                           f"{job.message} ({job.failed} failed rows)")
    print(f"  {label}: {seconds(elapsed)}, {job.total / elapsed:,.0f} rows/s, "
          f"result {job.result}", flush=True)
    return ImportRun(label, job.total, elapsed, job.result)


def run_import_bench(rows: int = ROWS) -> ImportResult:
    from django.contrib.auth import get_user_model

    from crm_apps.customers.models import Account, Contact
    from tests.bench.provisioning_bench import provision_bench_tenant

    tenant = provision_bench_tenant(SLUG, use_spare=False).tenant
    with tempfile.TemporaryDirectory(prefix="crm-bench-import-") as folder:
        path = Path(folder) / "contacts.csv"
        write_csv(path, rows)
        size = path.stat().st_size
        print(f"  wrote {rows:,} rows ({size / 1e6:.1f} MB) to a CSV file (untimed)", flush=True)
        with tenant_context(tenant):
            user = get_user_model().objects.get(email=f"owner@{SLUG}.example")
            runs = [time_import(path, user, "skip", "new contacts"),
                    time_import(path, user, "skip", "same file again, duplicates skipped"),
                    time_import(path, user, "update", "same file again, duplicates updated")]
            contacts, accounts = Contact.objects.count(), Account.objects.count()
    if contacts != rows:
        raise RuntimeError(f"Expected {rows} contacts after the import, found {contacts}")
    return ImportResult(runs, size, contacts, accounts)


def import_section(result: ImportResult, run_line: str) -> str:
    rows = [[run.label, f"{run.rows:,}", seconds(run.seconds), f"{run.rate:,.0f}",
             f"{run.result['created']:,}", f"{run.result['skipped']:,}",
             f"{run.result['updated']:,}"]
            for run in result.runs]
    first = result.runs[0]
    return f"""## Contact import

{run_line}

One CSV file of {first.rows:,} contacts ({result.file_bytes / 1e6:.1f} MB, UTF-8 with a byte
order mark; every other contact has a Chinese name; 2,000 distinct company names, half of them
Chinese), imported into one fresh tenant (`{SLUG}`) through `queue_import`, the function behind
`POST /api/v1/imports/contacts/`, with Celery eager: upload checks, storing the file, the job,
counting rows, then the task (validation of every row, accounts found or created by name, new
contacts written with `bulk_create` in batches, all in one transaction). The second and third
runs import the same file again, with `duplicates=skip` (every row checked against the e-mail
addresses, then the phone numbers, now in the tenant) and with `duplicates=update` (every
contact rewritten, one `UPDATE ... FROM (VALUES ...)` per batch). Target: the first run under
{IMPORT_TARGET:g} s.

{markdown_table(["Run", "Rows", "Total time", "Rows/s", "Created", "Skipped",
                 "Updated"], rows)}

Target met (new contacts under {IMPORT_TARGET:g} s): {verdict(result.target_met)}.
Afterwards the tenant holds {result.contacts_after:,} contacts and {result.accounts_after:,}
accounts.
"""
