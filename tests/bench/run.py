"""Run every benchmark against a fresh `crm_bench` database and write docs/benchmarks.md.

`make bench` runs this module. It drops and recreates its own database (derived from
DATABASE_URL when set, else postgres@127.0.0.1:5432), builds it with `bootstrap --no-pool`,
measures, writes each benchmark's section of the report, and drops the database again.
"""

import argparse
import os
import sys
import time

from tests.bench.database import (
    bench_database_url,
    drop_database,
    recreate_database,
    server_version,
)
from tests.bench.machine import machine_facts, utc_timestamp
from tests.bench.report import (
    REPORT_PATH,
    markdown_table,
    milliseconds,
    seconds,
    verdict,
    write_section,
)

ACME_SLUG = "acme"
FULL_COUNTS = {"naive_runs": 3, "clone_runs": 20, "warmup": 200, "requests": 2000,
               "tenants": 50}
QUICK_COUNTS = {"naive_runs": 1, "clone_runs": 3, "warmup": 20, "requests": 200, "tenants": 10}


def configure_environment() -> str:
    """Point Django at the bench database; must run before the settings are imported."""
    url = bench_database_url(os.environ.get("DATABASE_URL"))
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    # Tests may export a fast hasher; the bench measures the project's real one.
    os.environ.pop("PASSWORD_HASHERS", None)
    # Provisioning may e-mail the owner; keep mail-server time and console output out of it.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    return url


def step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run_note(timestamp: str, hostname: str) -> str:
    """The line heading each section: which run, and how busy the machine was at its start."""
    return (f"_Run: {timestamp} on `{hostname}` (see Machine). Load average (1/5/15 min) when "
            f"this benchmark started, other processes included: {load_average()}._")


def machine_section(facts: list[tuple[str, str]], timestamp: str, mode: str) -> str:
    return f"""## Machine

Run: {timestamp}, {mode}.
Every figure below comes from a measurement of that run, on this machine, with PostgreSQL on
the same host (127.0.0.1). The machine is not reserved for the benchmark: each section gives
the load average at its start.

{markdown_table(["Fact", "Value"], [[label, value] for label, value in facts])}
"""


def build_database(url: str) -> None:
    import django
    from django.core.management import call_command

    step(f"recreating {url.rsplit('/', 1)[-1]} and bootstrapping it (about 2 minutes)")
    recreate_database(url)
    django.setup()
    call_command("bootstrap", no_pool=True)


def provision_acme() -> str:
    """An untimed tenant for the overhead benchmark; it also warms imports and caches."""
    from tests.bench.provisioning_bench import provision_bench_tenant

    return provision_bench_tenant(ACME_SLUG, use_spare=False).tenant.hostname


def close_django_connections() -> None:
    from django.db import connections

    for connection in connections.all():
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool:
            close_pool()


def report_provisioning(counts: dict, run_line: str) -> None:
    from tests.bench.provisioning_bench import provisioning_section, run_provisioning_bench

    step("benchmark 1: provisioning time per tenant")
    results = run_provisioning_bench(counts["naive_runs"], counts["clone_runs"])
    for result in results:
        summary = result.summary
        print(f"  {result.label}: median {seconds(summary.median)}, max "
              f"{seconds(summary.maximum)} over {summary.count} runs; target median < "
              f"{result.target:g} s: met {verdict(result.target_met)}", flush=True)
    write_section("provisioning", provisioning_section(results, run_line))


def report_overhead(counts: dict, run_line: str, tenant_host: str) -> None:
    from tests.bench.overhead_bench import (
        OVERHEAD_TARGET,
        overhead_section,
        run_overhead_bench,
    )

    step("benchmark 2: tenancy overhead per request under uvicorn")
    result = run_overhead_bench(dict(os.environ), tenant_host, counts["warmup"],
                                counts["requests"])
    for spec in result.specs:
        summary = result.summaries[spec.key]
        line = (f"  {spec.label}: median {milliseconds(summary.median)}, "
                f"p95 {milliseconds(summary.p95)}")
        if spec.key != "plain":
            overhead = result.overhead(spec.key, "median")
            line += (f"; overhead {milliseconds(overhead)} (target < "
                     f"{milliseconds(OVERHEAD_TARGET)}: met {verdict(overhead < OVERHEAD_TARGET)})")
        print(line, flush=True)
    print(f"  queries per ping: cold cache {result.queries['cold']}, "
          f"warm cache {result.queries['warm']}, repeated on the cold-cache settings "
          f"{result.queries['cold server']}", flush=True)
    write_section("tenancy-overhead", overhead_section(result, run_line))


def report_migrate(counts: dict, run_line: str) -> None:
    from tests.bench.migrate_bench import migrate_section, run_migrate_bench

    step(f"benchmark 3: migrate_schemas with nothing to apply, {counts['tenants']} tenants")
    result = run_migrate_bench(dict(os.environ), counts["tenants"])
    write_section("migrate-schemas", migrate_section(result, run_line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-db", action="store_true",
                        help="Leave the crm_bench database in place afterwards.")
    parser.add_argument("--quick", action="store_true",
                        help="Few runs only, to check the program works (the report says so "
                             "through its run counts).")
    args = parser.parse_args(argv)
    counts = QUICK_COUNTS if args.quick else FULL_COUNTS

    url = configure_environment()
    build_database(url)
    timestamp = utc_timestamp()
    facts = machine_facts(server_version(url))
    hostname = facts[0][1]
    mode = "quick mode (`--quick`: reduced run counts)" if args.quick else "full run counts"
    write_section("machine", machine_section(facts, timestamp, mode))

    step("provisioning the acme tenant (untimed)")
    tenant_host = provision_acme()
    report_provisioning(counts, run_note(timestamp, hostname))
    report_overhead(counts, run_note(timestamp, hostname), tenant_host)
    report_migrate(counts, run_note(timestamp, hostname))

    close_django_connections()
    if args.keep_db:
        step(f"kept the bench database: {url}")
    else:
        drop_database(url)
        step("dropped the bench database")
    step(f"report written to {REPORT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
