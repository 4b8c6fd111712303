"""Benchmark "fleet": `migrate_fleet` against `migrate_schemas` across many tenant schemas.

Import after django.setup(). Tenants are cloned from the template (untimed, except a first few
that give the per-tenant clone time); the count is capped so the whole benchmark fits its time
budget, and the report extrapolates to the requested count from the measured rates.
Run alone on an already bootstrapped database:
`DATABASE_URL=... python -m tests.bench.fleet_bench --tenants 30`.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.bench.report import markdown_table, seconds

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The whole benchmark (cloning included) should stay under about 15 minutes.
TIME_BUDGET_SECONDS = 13 * 60
# What the timed commands cost per schema together, used only to size the run before it is
# measured: migrate_schemas standard with nothing to apply (about 1.2 s), multiprocessing with
# one migration (0.5 s), migrate_fleet with one migration (0.45 s) on a 2-core machine.
ASSUMED_COMMANDS_PER_SCHEMA = 2.2
CLONE_SAMPLES = 3
COMMAND_TIMEOUT = 1800


@dataclass(frozen=True)
class TimedCommand:
    label: str
    command: list[str]
    seconds: float | None
    error: str = ""


@dataclass
class FleetBenchResult:
    requested: int
    tenants: int
    clone_seconds: float
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


def clone_tenants(count: int, prefix: str) -> list[float]:
    """Provision ``count`` tenants by cloning the template; returns each one's seconds."""
    from tenants.models import Tenant
    from tests.bench.provisioning_bench import provision_bench_tenant

    connection.set_schema_to_public()
    existing = set(Tenant.objects.values_list("slug", flat=True))
    samples, number = [], 0
    while len(samples) < count:
        number += 1
        slug = f"{prefix}-{number:04d}"
        if slug in existing:
            continue
        started = time.perf_counter()
        provision_bench_tenant(slug, use_spare=False)
        samples.append(time.perf_counter() - started)
    connection.set_schema_to_public()
    return samples


def choose_tenant_count(requested: int, clone_seconds: float) -> int:
    """As many tenants as the budget allows: cloning and the migrate_schemas runs dominate."""
    per_tenant = clone_seconds + ASSUMED_COMMANDS_PER_SCHEMA
    return max(1, min(requested, int(TIME_BUDGET_SECONDS / per_tenant)))


def timed(label: str, arguments: list[str], env: dict) -> TimedCommand:
    command = [sys.executable, "manage.py", *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
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


def run_fleet_bench(env: dict, requested: int, workers: int = 0) -> FleetBenchResult:
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    samples = clone_tenants(CLONE_SAMPLES, "bench-fleet-probe")
    clone_seconds = statistics.median(samples)
    tenants = choose_tenant_count(requested, clone_seconds)
    print(f"  clone: {seconds(clone_seconds)} per tenant; {tenants} of {requested} requested "
          f"tenants fit the {TIME_BUDGET_SECONDS // 60} min budget", flush=True)
    missing = tenants - len(live_tenant_schemas())
    if missing > 0:
        started = time.perf_counter()
        clone_tenants(missing, "bench-fleet")
        print(f"  cloned {missing} more tenant(s) in {seconds(time.perf_counter() - started)} "
              f"(untimed)", flush=True)
    result = FleetBenchResult(requested, len(live_tenant_schemas()), clone_seconds, workers)
    fleet = ["migrate_fleet", f"--workers={workers}"]
    # The first run records every schema's state; the second is the steady no-op deploy.
    result.runs.append(timed("migrate_fleet, first run, nothing to apply", fleet, env))
    result.runs.append(timed("migrate_fleet, nothing to apply", fleet, env))
    behind = forget_tenants_leaf_everywhere()
    result.runs.append(timed(f"migrate_fleet, one migration behind in {behind} schemas",
                             fleet, env))
    result.runs.append(timed("migrate_schemas (standard), nothing to apply",
                             ["migrate_schemas", "--noinput", "--executor=standard"], env))
    forget_tenants_leaf_everywhere()
    result.runs.append(timed("migrate_schemas (multiprocessing), one migration behind",
                             ["migrate_schemas", "--noinput", "--executor=multiprocessing"],
                             env))
    return result


def extrapolate(run: TimedCommand, result: FleetBenchResult) -> str:
    if run.seconds is None or result.tenants >= result.requested:
        return "—"
    # Linear in the schema count: a fixed start-up plus a per-schema cost measured here.
    per_schema = run.seconds / result.schemas
    return seconds(per_schema * (result.requested + 2))


def fleet_section(result: FleetBenchResult, run_line: str) -> str:
    rows = []
    for run in result.runs:
        if run.seconds is None:
            rows.append([run.label, "failed", "—", "—", run.error.replace("|", "\\|")])
            continue
        rows.append([run.label, seconds(run.seconds),
                     f"{run.seconds / result.schemas * 1000:.0f} ms",
                     extrapolate(run, result), ""])
    capped = ""
    if result.tenants < result.requested:
        clone_total = result.requested * result.clone_seconds
        capped = (f" {result.requested} tenants were requested; cloning them would take about "
                  f"{seconds(clone_total)}, so the run was capped at {result.tenants} and the "
                  f"last column extrapolates linearly (an upper bound for `migrate_fleet`, whose "
                  f"fixed start-up dominates at this size).")
    return f"""## Fleet migrations: `migrate_fleet` against `migrate_schemas`

{run_line}

{result.schemas} schemas (public, `_template`, {result.tenants} tenants cloned from the
template at {seconds(result.clone_seconds)} each, median of {CLONE_SAMPLES}).{capped}
Each command is timed as a subprocess (Python start-up and Django set-up included).
`migrate_fleet --workers={result.workers}` reads each schema's `django_migrations` once and
migrates only the schemas behind; `migrate_schemas` runs Django's migrate in every schema.
"One migration behind": the tenants app's newest row deleted in the template and every tenant
schema, so each schema has one (bookkeeping-only) migration to apply.

{markdown_table(["Command", "Total", "Per schema", f"At {result.requested} tenants", "Note"],
                rows)}
"""


def main() -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=30)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    django.setup()
    result = run_fleet_bench(dict(os.environ), args.tenants, args.workers)
    print(fleet_section(result, "_Run alone on the current DATABASE_URL._"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
