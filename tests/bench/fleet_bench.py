"""Benchmark "fleet": `migrate_fleet` across a fleet of tenant schemas, against `migrate_schemas`.

Import after django.setup(). The fleet is grown to the requested size first (untimed), from
restored copies of the template (tests/bench/bulk_tenants.py). `migrate_fleet` runs over the
whole fleet; `migrate_schemas`, which costs about a second per schema, runs for a fixed time
budget and its rate per schema is taken from its own per-schema start lines, so the figure at
the full size is an extrapolation of a measured rate, marked as such.
Run alone on an already bootstrapped database:
`DATABASE_URL=... python -m tests.bench.fleet_bench --tenants 30`.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.bench.report import markdown_table, seconds

PROJECT_DIR = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 1800
# How long each migrate_schemas run may go on before it is stopped and its rate taken.
BASELINE_BUDGET_SECONDS = 150
SCHEMA_START = "=== Starting migration"


@dataclass(frozen=True)
class TimedCommand:
    label: str
    command: list[str]
    seconds: float | None
    error: str = ""
    # Set when the run was stopped at its budget: schemas begun, and seconds per schema
    # between the first and the last of them.
    schemas_started: int = 0
    per_schema: float | None = None

    @property
    def sampled(self) -> bool:
        return self.per_schema is not None


@dataclass
class FleetBenchResult:
    requested: int
    tenants: int
    grow_seconds: float
    workers: int
    runs: list[TimedCommand] = field(default_factory=list)

    @property
    def schemas(self) -> int:
        return self.tenants + 2  # public and the template


def live_tenant_schemas() -> list[str]:
    from django_tenants.utils import get_public_schema_name

    from tenants.models import Tenant

    return list(Tenant.objects.exclude(schema_name=get_public_schema_name())
                .exclude(status=Tenant.Status.DELETED).values_list("schema_name", flat=True))


def grow_fleet(count: int) -> float:
    """Add bench tenants until ``count`` tenants are live; returns the seconds it took."""
    from tests.bench.bulk_tenants import provision_many

    connection.set_schema_to_public()
    missing = count - len(live_tenant_schemas())
    if missing <= 0:
        return 0.0
    made = provision_many(missing, "bench-fleet")
    total = made.restore_seconds + made.provision_seconds
    print(f"  added {missing} tenant(s) in {seconds(total)} ({made.workers} restore workers; "
          f"untimed)", flush=True)
    return total


def _start(arguments: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *arguments],  # noqa: S603
                            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def timed(label: str, arguments: list[str], env: dict) -> TimedCommand:
    started = time.perf_counter()
    process = _start(arguments, env)
    try:
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return TimedCommand(label, arguments, None, f"killed after {COMMAND_TIMEOUT} s")
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        last = (stderr or stdout).strip().splitlines()[-1:]
        return TimedCommand(label, arguments, None, f"exit {process.returncode}: {''.join(last)}")
    summary = [line for line in stdout.splitlines() if line.startswith("Migrated")]
    print(f"  {label}: {seconds(elapsed)} {' '.join(summary)}", flush=True)
    return TimedCommand(label, arguments, elapsed)


def sampled(label: str, arguments: list[str], env: dict, budget: float) -> TimedCommand:
    """Run a migrate_schemas command to its end or for ``budget`` seconds, noting when each
    schema's migration starts; the rate per schema comes from those times."""
    started = time.perf_counter()
    process = _start(arguments, env)
    starts: list[float] = []
    tail: list[str] = []

    def read(stream, keep_starts):
        for line in stream:
            if keep_starts and SCHEMA_START in line:
                starts.append(time.perf_counter())
            tail[:] = [*tail[-4:], line.rstrip()]

    readers = [threading.Thread(target=read, args=(process.stdout, True), daemon=True),
               threading.Thread(target=read, args=(process.stderr, False), daemon=True)]
    for reader in readers:
        reader.start()
    stopped = False
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        stopped = True
    elapsed = time.perf_counter() - started
    for reader in readers:
        reader.join(timeout=5)
    if not stopped and process.returncode != 0:
        return TimedCommand(label, arguments, None, f"exit {process.returncode}: {tail[-1:]}")
    if not stopped:
        print(f"  {label}: {seconds(elapsed)} ({len(starts)} schemas)", flush=True)
        return TimedCommand(label, arguments, elapsed, schemas_started=len(starts))
    if len(starts) < 3:
        return TimedCommand(label, arguments, None, f"only {len(starts)} schemas in {budget} s")
    per_schema = (starts[-1] - starts[0]) / (len(starts) - 1)
    print(f"  {label}: stopped after {seconds(elapsed)}, {len(starts)} schemas begun, "
          f"{per_schema * 1000:.0f} ms per schema", flush=True)
    return TimedCommand(label, arguments, elapsed, schemas_started=len(starts),
                        per_schema=per_schema)


def forget_tenants_leaf_everywhere() -> int:
    """Delete the tenants app's newest django_migrations row in the template and every tenant
    schema: each is then one migration behind. The app's tables live in public only, so
    re-applying it in a tenant schema runs no SQL but the bookkeeping, as a data-only
    migration would."""
    from tenants.template import TEMPLATE_SCHEMA

    [leaf] = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("tenants")
    schemas = [TEMPLATE_SCHEMA, *live_tenant_schemas()]
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DELETE FROM "{schema}".django_migrations '  # noqa: S608
                           "WHERE app = %s AND name = %s", list(leaf))
    return len(schemas)


def run_fleet_bench(env: dict, requested: int, workers: int = 0,
                    budget: float = BASELINE_BUDGET_SECONDS) -> FleetBenchResult:
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    grown = grow_fleet(requested)
    result = FleetBenchResult(requested, len(live_tenant_schemas()), grown, workers)
    fleet = ["migrate_fleet", f"--workers={workers}"]
    # The first run records every schema's state; the second is the steady no-op deploy.
    result.runs.append(timed("migrate_fleet, first run, nothing to apply", fleet, env))
    result.runs.append(timed("migrate_fleet, nothing to apply", fleet, env))
    behind = forget_tenants_leaf_everywhere()
    result.runs.append(timed(f"migrate_fleet, one migration behind in {behind} schemas",
                             fleet, env))
    result.runs.append(sampled("migrate_schemas (standard), nothing to apply",
                               ["migrate_schemas", "--noinput", "--executor=standard"], env,
                               budget))
    forget_tenants_leaf_everywhere()
    result.runs.append(sampled("migrate_schemas (multiprocessing), one migration behind",
                               ["migrate_schemas", "--noinput", "--executor=multiprocessing"],
                               env, budget))
    # Whatever the stopped run left behind, migrate_fleet finishes (and a full run is a no-op).
    result.runs.append(timed("migrate_fleet, after that migrate_schemas run", fleet, env))
    return result


def fleet_rows(result: FleetBenchResult) -> list[list[str]]:
    rows = []
    for run in result.runs:
        if run.seconds is None:
            rows.append([run.label, "failed", "—", "—", run.error.replace("|", "\\|")])
        elif run.sampled:
            estimate = run.per_schema * result.schemas
            rows.append([run.label, f"stopped at {seconds(run.seconds)}",
                         f"{run.per_schema * 1000:.0f} ms",
                         f"about {seconds(estimate)} (estimated)",
                         f"rate over the first {run.schemas_started} schemas"])
        else:
            rows.append([run.label, seconds(run.seconds),
                         f"{run.seconds / result.schemas * 1000:.0f} ms",
                         seconds(run.seconds), ""])
    return rows


def fleet_section(result: FleetBenchResult, run_line: str) -> str:
    grown = (f" {seconds(result.grow_seconds)} went into adding tenants for this run (restored "
             f"copies of the template, provisioned by `provision_tenant`; untimed)."
             if result.grow_seconds else "")
    return f"""## Fleet migrations: `migrate_fleet` against `migrate_schemas`

{run_line}

{result.schemas} schemas: public, `_template` and {result.tenants} tenants.{grown}
Each command is timed as a subprocess (Python start-up and Django set-up included).
`migrate_fleet --workers={result.workers}` reads each schema's `django_migrations` once and
migrates only the schemas behind; `migrate_schemas` runs Django's migrate in every schema.
"One migration behind": the tenants app's newest row deleted in the template and every tenant
schema, so each schema has one (bookkeeping-only) migration to apply.
`migrate_schemas` runs until it ends or for {BASELINE_BUDGET_SECONDS} s; a stopped run's rate is
taken between the first and the last schema it began, and the whole fleet's time is that rate
times {result.schemas} schemas. Target: `migrate_fleet` with nothing to apply across 1,000
tenants in under 60 s.

{markdown_table(["Command", "Time", "Per schema", f"All {result.schemas} schemas", "Note"],
                fleet_rows(result))}
"""


def main() -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=30)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--budget", type=float, default=BASELINE_BUDGET_SECONDS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    django.setup()
    result = run_fleet_bench(dict(os.environ), args.tenants, args.workers, args.budget)
    print(fleet_section(result, "_Run alone on the current DATABASE_URL._"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
