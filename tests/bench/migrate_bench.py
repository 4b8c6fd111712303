"""Benchmark 3: `manage.py migrate_schemas` with nothing to apply, across many tenants.

Import after django.setup(): the tenant count uses the project's models.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django_tenants.utils import get_public_schema_name

from tenants.models import Tenant
from tests.bench.report import markdown_table, seconds

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIRST_RUN_TIMEOUT = 1800
# A later run that hangs is cut off at a bounded multiple of the first run.
LATER_RUN_TIMEOUT_FACTOR, LATER_RUN_MIN_TIMEOUT = 4, 180


@dataclass(frozen=True)
class MigrateVariant:
    """An executor, run with the project's default settings (management commands run without
    the connection pool, which only the ASGI entry point switches on)."""

    executor: str
    env_overrides: dict[str, str]

    @property
    def caution(self) -> str:
        return ""

    @property
    def settings_label(self) -> str:
        if not self.env_overrides:
            return "defaults (no connection pool)"
        return ", ".join(f"`{key}={value}`" for key, value in self.env_overrides.items())


VARIANTS = (
    MigrateVariant("standard", {}),
    MigrateVariant("multiprocessing", {}),
)


@dataclass(frozen=True)
class MigrateRun:
    variant: MigrateVariant
    seconds: float | None
    error: str = ""


def live_tenant_count() -> int:
    return (Tenant.objects.exclude(schema_name=get_public_schema_name())
            .exclude(status=Tenant.Status.DELETED).count())


def ensure_tenants(wanted: int) -> int:
    """Provision (untimed) as many tenants as are missing; returns how many were made."""
    from tests.bench.provisioning_bench import provision_bench_tenant

    connection.set_schema_to_public()
    missing = wanted - live_tenant_count()
    for number in range(1, missing + 1):
        provision_bench_tenant(f"bench-fill-{number:02d}", use_spare=False)
    return max(missing, 0)


def time_migrate_schemas(variant: MigrateVariant, env: dict, timeout: float) -> MigrateRun:
    command = [sys.executable, "manage.py", "migrate_schemas", "--noinput",
               f"--executor={variant.executor}"]
    started = time.perf_counter()
    # Its own session, so a time-out can stop the forked migration workers too.
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env={**env, **variant.env_overrides},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return MigrateRun(variant, None, f"hung; killed after a {timeout:.0f} s time-out")
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        last_line = (stderr or stdout).strip().splitlines()[-1:]
        return MigrateRun(variant, None, f"exit {process.returncode}: " + "".join(last_line))
    return MigrateRun(variant, elapsed)


@dataclass(frozen=True)
class MigrateResult:
    tenants: int
    provisioned: int
    runs: list[MigrateRun]

    @property
    def schemas(self) -> int:
        return self.tenants + 2  # public and the template are migrated too


def run_migrate_bench(env: dict, tenants: int) -> MigrateResult:
    provisioned = ensure_tenants(tenants)
    print(f"  provisioned {provisioned} more tenant(s) (untimed); "
          f"{live_tenant_count()} live tenants", flush=True)
    runs, timeout = [], FIRST_RUN_TIMEOUT
    for variant in VARIANTS:
        run = time_migrate_schemas(variant, env, timeout)
        print(f"  migrate_schemas --executor={variant.executor}, {variant.settings_label}: "
              f"{seconds(run.seconds) if run.seconds is not None else run.error}", flush=True)
        runs.append(run)
        if run is runs[0] and run.seconds is not None:
            timeout = max(LATER_RUN_MIN_TIMEOUT, LATER_RUN_TIMEOUT_FACTOR * run.seconds)
    return MigrateResult(tenants=live_tenant_count(), provisioned=provisioned, runs=runs)


def migrate_section(result: MigrateResult, run_line: str) -> str:
    rows = []
    for run in result.runs:
        label = [f"`{run.variant.executor}`", run.variant.settings_label]
        if run.seconds is None:
            rows.append([*label, "failed", "—", run.error.replace("|", "\\|")])
        else:
            rows.append([*label, seconds(run.seconds),
                         f"{run.seconds / result.schemas * 1000:.0f} ms", run.variant.caution])
    return f"""## `migrate_schemas` with nothing to apply

{run_line}

`manage.py migrate_schemas --noinput --executor=<executor>` timed as a subprocess (Python
start-up and Django set-up included), once per row, with every schema already current:
{result.schemas} schemas (public, `_template`, {result.tenants} live tenants;
{result.provisioned} of them provisioned untimed just before). The project's command also
re-seeds the template and checks the spare pool after migrating. Per schema = total / schemas.
The multiprocessing executor uses django-tenants' default of 2 worker processes. Commands run
without the connection pool (only the ASGI server uses it), so forked workers never share a
pooled socket. No target: this is the fixed cost a deploy pays per tenant.

{markdown_table(["Executor", "Settings", "Total", "Per schema", "Note"], rows)}
"""
