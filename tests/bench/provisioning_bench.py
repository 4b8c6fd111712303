"""Benchmark 1: how long one new tenant takes, on four paths from slowest to fastest.

Import after django.setup(): this module uses the project's models.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.clone import CloneSchema

from tenants.provisioning import provision_tenant
from tenants.spares import fill_pool
from tenants.template import applied_migrations, expected_migrations
from tests.bench.report import Summary, markdown_table, seconds, verdict

PROVISIONING_TARGET = 1.0
SPARE_PROVISIONING_TARGET = 0.3


@dataclass(frozen=True)
class ProvisioningRuns:
    """One provisioning path's timings and what the report says about it."""

    label: str
    method: str
    target: float
    samples: list[float]

    @property
    def summary(self) -> Summary:
        return Summary.of(self.samples)

    @property
    def target_met(self) -> bool:
        return self.summary.median < self.target


def check_fully_migrated(schema: str) -> None:
    """A timed schema only counts if it records every migration the code defines."""
    missing = expected_migrations() - applied_migrations(schema)
    if missing:
        raise RuntimeError(f"Schema {schema} lacks {len(missing)} migration(s) after the run")


def drop_schemas(names: list[str]) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def time_naive_migrations(runs: int) -> list[float]:
    """CREATE SCHEMA, then django-tenants migrating it from zero."""
    samples, schemas = [], []
    for number in range(1, runs + 1):
        schema = f"bench_naive_{number:02d}"
        connection.set_schema_to_public()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
        call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=0)
        samples.append(time.perf_counter() - started)
        connection.set_schema_to_public()
        schemas.append(schema)
        check_fully_migrated(schema)
        print(f"  naive migrate {number}/{runs}: {samples[-1]:.2f} s", flush=True)
    drop_schemas(schemas)
    return samples


def time_plain_clones(runs: int) -> list[float]:
    """django-tenants' own clone path: clone_schema, then migrate_schemas --fake."""
    samples, schemas = [], []
    for number in range(1, runs + 1):
        schema = f"bench_plain_{number:02d}"
        connection.set_schema_to_public()
        started = time.perf_counter()
        CloneSchema().clone_schema(settings.TENANT_TEMPLATE_SCHEMA, schema)
        call_command("migrate_schemas", tenant=True, fake=True, schema_name=schema,
                     interactive=False, verbosity=0)
        samples.append(time.perf_counter() - started)
        connection.set_schema_to_public()
        schemas.append(schema)
        check_fully_migrated(schema)
    print(f"  plain clone: {runs} runs done", flush=True)
    drop_schemas(schemas)
    return samples


def provision_bench_tenant(slug: str, *, use_spare: bool):
    return provision_tenant(slug=slug, name=f"Bench {slug}", owner_email=f"owner@{slug}.example",
                            use_spare=use_spare, refill=False)


def time_fresh_provisioning(runs: int) -> list[float]:
    """Our provision_tenant with a fresh clone of the template (no spare pool)."""
    samples = []
    for number in range(1, runs + 1):
        started = time.perf_counter()
        result = provision_bench_tenant(f"bench-fresh-{number:02d}", use_spare=False)
        samples.append(time.perf_counter() - started)
        if result.from_spare:
            raise RuntimeError("provision_tenant(use_spare=False) claimed a spare")
    print(f"  provision_tenant without spares: {runs} runs done", flush=True)
    return samples


def time_spare_provisioning(runs: int) -> list[float]:
    """Our provision_tenant claiming a ready spare (the pool is filled first, untimed)."""
    made = fill_pool(runs)
    print(f"  filled the spare pool with {made} schema(s) (untimed)", flush=True)
    samples = []
    for number in range(1, runs + 1):
        started = time.perf_counter()
        result = provision_bench_tenant(f"bench-spare-{number:02d}", use_spare=True)
        samples.append(time.perf_counter() - started)
        if not result.from_spare:
            raise RuntimeError(f"Run {number} did not get a spare schema: the figure would lie")
    print(f"  provision_tenant from spares: {runs} runs done, all from spares", flush=True)
    return samples


def run_provisioning_bench(naive_runs: int, clone_runs: int) -> list[ProvisioningRuns]:
    return [
        ProvisioningRuns(
            "a. Naive: CREATE SCHEMA + migrate_schemas from zero",
            "`CREATE SCHEMA`, then `migrate_schemas --schema=<name>` (every migration runs).",
            PROVISIONING_TARGET, time_naive_migrations(naive_runs)),
        ProvisioningRuns(
            "b. django-tenants clone",
            "`CloneSchema().clone_schema('_template', name)`, then "
            "`migrate_schemas --tenant --fake --schema=<name>`.",
            PROVISIONING_TARGET, time_plain_clones(clone_runs)),
        ProvisioningRuns(
            "c. provision_tenant, no spare",
            "`provision_tenant(use_spare=False)`: rows, clone, constraint/sequence fix-ups, "
            "verification against the template, hooks, in one transaction.",
            PROVISIONING_TARGET, time_fresh_provisioning(clone_runs)),
        ProvisioningRuns(
            "d. provision_tenant from the spare pool",
            "`fill_pool(N)` first (untimed), then `provision_tenant(refill=False)`; every run "
            "checked to have `from_spare=True`.",
            SPARE_PROVISIONING_TARGET, time_spare_provisioning(clone_runs)),
    ]


def provisioning_section(results: list[ProvisioningRuns], run_line: str) -> str:
    rows = [
        [r.label, str(r.summary.count), seconds(r.summary.median), seconds(r.summary.maximum),
         f"< {r.target:g} s", verdict(r.target_met)]
        for r in results
    ]
    methods = "\n".join(f"- **{r.label}**: {r.method}" for r in results)
    naive = results[0]
    return f"""## Provisioning time per tenant

{run_line}

Wall-clock time from the first statement to a schema that records every migration, measured
in one process against the bench database. One tenant (`acme`) is provisioned untimed
beforehand, so imports and the migration graph are warm, as in a running server.
Path a takes tens of seconds per schema, so it runs **only {naive.summary.count} time(s), not 20**;
the others run {results[1].summary.count} times each. Targets: median under
{PROVISIONING_TARGET:g} s, and under {SPARE_PROVISIONING_TARGET:g} s from the spare pool
(paths a and b are baselines; the 1 s target is shown against them for comparison).

{markdown_table(["Path", "Runs", "Median", "Max", "Target (median)", "Met"], rows)}

{methods}

Paths c and d call `provision_tenant` as the operator console and API do, without a password
argument. E-mail goes to Django's in-memory backend, so whatever the call sends costs no
mail-server time here.
"""
