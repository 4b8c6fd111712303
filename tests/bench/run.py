"""Run every benchmark against a fresh `crm_bench` database and write docs/benchmarks.md.

`make bench` runs this module. It drops and recreates its own database (derived from
DATABASE_URL when set, else postgres@127.0.0.1:5432), builds it with `bootstrap --no-pool`,
measures, writes each benchmark's section of the report, and drops the database again.
Name benchmarks to run only those (`python -m tests.bench.run websockets`); the other
sections of the report keep their earlier figures.
"""

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.database import (
    bench_database_url,
    database_exists,
    drop_database,
    recreate_database,
    server_version,
)
from tests.bench.machine import cpu_model, machine_facts, utc_timestamp
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
               "tenants": 50, "ws_tenants": 20, "ws_users": 50, "ws_batch_rounds": 5,
               "ws_single_rounds": 5, "list_requests": 100, "pipeline_requests": 100,
               "desk_requests": 100, "store_requests": 100, "fleet_tenants": 1000,
               "memory_tenants": 1000}
QUICK_COUNTS = {"naive_runs": 1, "clone_runs": 3, "warmup": 20, "requests": 200, "tenants": 10,
                "ws_tenants": 4, "ws_users": 10, "ws_batch_rounds": 1, "ws_single_rounds": 1,
                "list_requests": 20, "pipeline_requests": 20, "desk_requests": 20,
                "store_requests": 20, "fleet_tenants": 30,
                "memory_tenants": 30}
BENCHMARKS = ("provisioning", "tenancy-overhead", "migrate-schemas", "websockets", "import",
              "lists", "pipeline", "desk", "email-ingestion", "webhooks", "store", "fleet",
              "tenant-memory")


def configure_environment() -> tuple[str, str]:
    """Point Django at the bench database; must run before the settings are imported.

    Returns the bench database's URL and the REDIS_URL the caller had set (or ""): the
    benchmarks run without Redis, except the websocket one, which needs a shared layer.
    """
    url = bench_database_url(os.environ.get("DATABASE_URL"))
    redis_url = os.environ.get("REDIS_URL", "")
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    # Tests may export a fast hasher; the bench measures the project's real one.
    os.environ.pop("PASSWORD_HASHERS", None)
    # Provisioning may e-mail the owner; keep mail-server time and console output out of it.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    return url, redis_url


def step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run_note(timestamp: str, hostname: str) -> str:
    """The line heading each section: which run, on what CPU, and how busy the machine was."""
    return (f"_Run: {timestamp} on `{hostname}` ({cpu_model()}, {os.cpu_count()} cores; see "
            f"Machine). Load average (1/5/15 min) when this benchmark started, other processes "
            f"included: {load_average()}._")


def earlier_cpu() -> str:
    """The CPU the report's Machine table names now, before this run replaces it."""
    if not REPORT_PATH.exists():
        return ""
    found = re.search(r"^\| CPU model \| (.+?) \|$", REPORT_PATH.read_text(), re.MULTILINE)
    return found.group(1) if found else ""


def machine_section(facts: list[tuple[str, str]], timestamp: str, mode: str,
                    selected: list[str]) -> str:
    if list(selected) == list(BENCHMARKS):
        scope = "Every figure below comes from a measurement of that run"
    else:
        scope = (f"That run measured only: {', '.join(selected)}; the other sections keep the "
                 f"earlier run named in their first line. Every figure comes from a measurement")
        previous, current = earlier_cpu(), dict(facts).get("CPU model", "")
        if previous and previous != current:
            scope = (f"{scope[:-len('Every figure comes from a measurement')]}Sections whose "
                     f"first line names no CPU ran on a machine of the same size with this "
                     f"CPU: {previous}. Every figure comes from a measurement")
    return f"""## Machine

Run: {timestamp}, {mode}.
{scope} on this machine, with PostgreSQL on
the same host (127.0.0.1). The machine is not reserved for the benchmark: each section gives
the load average at its start.

{markdown_table(["Fact", "Value"], [[label, value] for label, value in facts])}
"""


def build_database(url: str, reuse: bool) -> None:
    import django
    from django.core.management import call_command

    if reuse and database_exists(url):
        step(f"reusing {url.rsplit('/', 1)[-1]} with its tenants; migrating the schemas behind")
        django.setup()
        call_command("migrate_fleet")
        return
    step(f"recreating {url.rsplit('/', 1)[-1]} and bootstrapping it (about 2 minutes)")
    recreate_database(url)
    django.setup()
    call_command("bootstrap", no_pool=True)


def provision_acme() -> str:
    """An untimed tenant for the overhead benchmark; it also warms imports and caches."""
    from tenants.models import Tenant
    from tests.bench.provisioning_bench import provision_bench_tenant

    existing = Tenant.objects.filter(slug=ACME_SLUG).first()
    if existing is not None:  # a reused database
        return existing.hostname
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


def report_websockets(counts: dict, run_line: str, redis_url: str) -> None:
    from tests.bench.websocket_bench import run_websocket_bench, websocket_section

    if redis_url:
        redis_label = "the `REDIS_URL` of the environment"
    else:
        from tests.fixtures.private_redis import start_private_redis

        redis_url = start_private_redis()
        redis_label = "a private redis-server started for the run, as REDIS_URL was unset"
    sockets = counts["ws_tenants"] * counts["ws_users"]
    step(f"benchmark 4: live notifications to {sockets} websockets under uvicorn")
    with tempfile.TemporaryDirectory(prefix="crm-bench-ws-") as log_dir:
        result = run_websocket_bench(dict(os.environ), counts, redis_url, redis_label,
                                     Path(log_dir))
    for run in result.runs:
        spread = run.latency.get("all")
        if spread is None:
            print(f"  {run.workers} worker(s): failed: {run.error}", flush=True)
            continue
        print(f"  {run.workers} worker(s): connect {run.connect_rate:.0f}/s "
              f"({run.connect_failed} failed); latency median {milliseconds(spread.median)}, "
              f"p99 {milliseconds(spread.p99)}, max {milliseconds(spread.maximum)} "
              f"(p99 < 100 ms: met {verdict(run.target_met)}); wrong user {run.wrong}, "
              f"missing on socket {run.missing_on_socket}, after catch-up "
              f"{run.missing_after_catch_up}{'; ' + run.error if run.error else ''}",
              flush=True)
    print(f"  websocket benchmark took {seconds(result.seconds)}", flush=True)
    write_section("websockets", websocket_section(result, run_line))


def report_import(run_line: str) -> None:
    from tests.bench.import_bench import (
        IMPORT_TARGET,
        ROWS,
        import_section,
        run_import_bench,
    )

    step(f"benchmark 5: importing {ROWS:,} contacts from one CSV file")
    result = run_import_bench()
    first = result.runs[0]
    print(f"  {first.rows:,} contacts in {seconds(first.seconds)} ({first.rate:,.0f} rows/s); "
          f"target < {IMPORT_TARGET:g} s: met {verdict(result.target_met)}", flush=True)
    write_section("import", import_section(result, run_line))


def report_lists(counts: dict, run_line: str) -> None:
    from tests.bench.list_bench import CONTACTS, list_section, run_list_bench

    step(f"benchmark 6: contact list and search with {CONTACTS:,} contacts under uvicorn")
    result = run_list_bench(dict(os.environ), counts["list_requests"])
    print(f"  p95 < 100 ms on every row: met {verdict(result.target_met)}; queries independent "
          f"of page size: {verdict(result.counts_constant)}", flush=True)
    write_section("lists", list_section(result, run_line))


def report_pipeline(counts: dict, run_line: str) -> None:
    from tests.bench.pipeline_bench import OPEN, pipeline_section, run_pipeline_bench

    step(f"benchmark 7: pipeline board and forecast with {OPEN:,} open opportunities")
    result = run_pipeline_bench(dict(os.environ), counts["pipeline_requests"])
    print(f"  p95 < 150 ms on every row: met {verdict(result.target_met)}", flush=True)
    write_section("pipeline", pipeline_section(result, run_line))


def report_desk(counts: dict, run_line: str) -> None:
    from tests.bench.desk_bench import TICKETS, desk_section, run_desk_bench

    step(f"benchmark 8: service desk queues with {TICKETS:,} tickets under uvicorn")
    result = run_desk_bench(dict(os.environ), counts["desk_requests"])
    print(f"  p95 < 100 ms on every row: met {verdict(result.target_met)}", flush=True)
    write_section("desk", desk_section(result, run_line))


def report_email(run_line: str) -> None:
    from tests.bench.email_bench import ROUNDS, email_section, run_email_bench

    step(f"benchmark 9: e-mail ingestion, {ROUNDS} rounds of the MIME samples")
    result = run_email_bench()
    print(f"  {result.messages:,} messages in {result.total_seconds:.2f} s: "
          f"{result.rate:,.1f} messages/s", flush=True)
    write_section("email-ingestion", email_section(result, run_line))


def report_webhooks(run_line: str) -> None:
    from tests.bench.webhook_bench import SENDERS, run_webhook_bench, webhook_section

    step(f"benchmark 10: Stripe webhooks applied exactly once, {SENDERS} concurrent senders")
    result = run_webhook_bench(dict(os.environ))
    print(f"  {result.events:,} events ({result.deliveries:,} deliveries) in "
          f"{result.seconds:.2f} s: {result.rate:,.1f} events/s applied; exactly once: "
          f"{verdict(result.exactly_once)}", flush=True)
    write_section("webhooks", webhook_section(result, run_line))


def report_store(counts: dict, run_line: str) -> None:
    from tests.bench.store_bench import ORDERS, PRODUCTS, run_store_bench, store_section

    step(f"benchmark 11: shop pages with 10 offers, {PRODUCTS:,} products, {ORDERS:,} orders")
    result = run_store_bench(dict(os.environ), counts["store_requests"])
    print(f"  p95 < 100 ms and personalisation < 20 %: met {verdict(result.target_met)}",
          flush=True)
    write_section("store", store_section(result, run_line))


def report_fleet(counts: dict, run_line: str) -> None:
    from tests.bench.fleet_bench import fleet_section, run_fleet_bench

    step(f"benchmark fleet: migrate_fleet against migrate_schemas across "
         f"{counts['fleet_tenants']} tenants (the fleet is grown first, untimed)")
    result = run_fleet_bench(dict(os.environ), counts["fleet_tenants"])
    write_section("fleet", fleet_section(result, run_line))


def report_tenant_memory(counts: dict, run_line: str, redis_url: str) -> None:
    from tests.bench.tenant_memory_bench import (
        fleet_tenants,
        memory_section,
        run_tenant_memory_bench,
    )

    step(f"benchmark tenant-memory: one web process serving {counts['memory_tenants']} "
         f"tenants, twice over")
    tenants = fleet_tenants(counts["memory_tenants"])
    # Caches and sessions as in production: in Redis when there is one.
    result = run_tenant_memory_bench({**os.environ, "REDIS_URL": redis_url}, tenants)
    print(f"  {result.growth_kb_per_tenant:.1f} KiB per extra tenant: bounded "
          f"{result.bounded_verdict}", flush=True)
    write_section("tenant-memory", memory_section(result, run_line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*", metavar="BENCHMARK",
                        help=f"Run only these: {', '.join(BENCHMARKS)} (default: all).")
    parser.add_argument("--keep-db", action="store_true",
                        help="Leave the crm_bench database in place afterwards.")
    parser.add_argument("--reuse-db", action="store_true",
                        help="Keep an existing crm_bench and its tenants instead of building it "
                             "again (growing a 1,000-tenant fleet takes about 15 minutes); "
                             "implies --keep-db.")
    parser.add_argument("--quick", action="store_true",
                        help="Few runs only, to check the program works (the report says so "
                             "through its run counts).")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.benchmarks) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from "
                     f"{', '.join(BENCHMARKS)}")
    selected = [name for name in BENCHMARKS if not args.benchmarks or name in args.benchmarks]
    counts = QUICK_COUNTS if args.quick else FULL_COUNTS

    url, redis_url = configure_environment()
    build_database(url, args.reuse_db)
    timestamp = utc_timestamp()
    facts = machine_facts(server_version(url))
    hostname = facts[0][1]
    mode = "quick mode (`--quick`: reduced run counts)" if args.quick else "full run counts"
    write_section("machine", machine_section(facts, timestamp, mode, selected))

    step("provisioning the acme tenant (untimed)")
    tenant_host = provision_acme()
    if "provisioning" in selected:
        report_provisioning(counts, run_note(timestamp, hostname))
    if "tenancy-overhead" in selected:
        report_overhead(counts, run_note(timestamp, hostname), tenant_host)
    if "migrate-schemas" in selected:
        report_migrate(counts, run_note(timestamp, hostname))
    if "websockets" in selected:
        report_websockets(counts, run_note(timestamp, hostname), redis_url)
    if "import" in selected:
        report_import(run_note(timestamp, hostname))
    if "lists" in selected:
        report_lists(counts, run_note(timestamp, hostname))
    if "pipeline" in selected:
        report_pipeline(counts, run_note(timestamp, hostname))
    if "desk" in selected:
        report_desk(counts, run_note(timestamp, hostname))
    if "email-ingestion" in selected:
        report_email(run_note(timestamp, hostname))
    if "webhooks" in selected:
        report_webhooks(run_note(timestamp, hostname))
    if "store" in selected:
        report_store(counts, run_note(timestamp, hostname))
    if "fleet" in selected:
        report_fleet(counts, run_note(timestamp, hostname))
    if "tenant-memory" in selected:
        report_tenant_memory(counts, run_note(timestamp, hostname), redis_url)

    close_django_connections()
    if args.keep_db or args.reuse_db:
        step(f"kept the bench database: {url}")
    else:
        drop_database(url)
        step("dropped the bench database")
    step(f"report written to {REPORT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
