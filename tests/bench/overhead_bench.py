"""Benchmark 2: what tenant resolution adds to a request, under a real uvicorn server.

Three uvicorn processes serve the same no-database ping view: one without the tenancy
middleware, one with the project's middleware (warm host cache), and one whose middleware
forgets the host before each lookup (cold cache on every request). Requests alternate
between the servers, so slow drifts of the machine hit all three alike.

Import after django.setup(): the query count uses the project's models.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from tests.bench.report import Summary, markdown_table, milliseconds, verdict

PROJECT_DIR = Path(__file__).resolve().parents[2]
UVICORN = PROJECT_DIR / ".venv" / "bin" / "uvicorn"
PING_PATH = "/bench/ping"
OVERHEAD_TARGET = 0.0005
STARTUP_TIMEOUT = 90


@dataclass(frozen=True)
class ServerSpec:
    """One uvicorn configuration to measure."""

    key: str
    label: str
    settings_module: str
    host: str  # Host header, without the port


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    client: httpx.Client
    samples: list[float]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server this benchmark started (its own session, so its group is its pid)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def wait_until_serving(process: subprocess.Popen, client: httpx.Client, log_path: Path,
                       path: str = PING_PATH) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if client.get(path).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer in {STARTUP_TIMEOUT} s:\n"
                       f"{log_path.read_text()[-3000:]}")


@contextmanager
def uvicorn_server(spec: ServerSpec, env: dict, log_dir: Path, *, workers: int = 1):
    """Start uvicorn with ``spec``'s settings; yield a RunningServer with a keep-alive client."""
    port = free_port()
    log_path = log_dir / f"uvicorn-{spec.key}.log"
    server_env = {**env, "DJANGO_SETTINGS_MODULE": spec.settings_module}
    command = [str(UVICORN), "core.asgi:application", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-access-log"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=server_env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Host": f"{spec.host}:{port}"}, timeout=10) as client:
            wait_until_serving(process, client, log_path)
            yield RunningServer(spec=spec, port=port, client=client, samples=[])
    finally:
        stop_process_group(process)


def timed_ping(server: RunningServer) -> float:
    started = time.perf_counter()
    response = server.client.get(PING_PATH)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or response.text != "pong":
        raise RuntimeError(f"{server.spec.label}: got {response.status_code} "
                           f"{response.text[:200]!r} instead of pong")
    return elapsed


def measure_servers(specs: list[ServerSpec], env: dict, warmup: int,
                    requests: int) -> dict[str, Summary]:
    """Warm each server up, then send ``requests`` pings to each, round-robin."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as log_dir, ExitStack() as stack:
        servers = [stack.enter_context(uvicorn_server(spec, env, Path(log_dir)))
                   for spec in specs]
        for server in servers:
            for _ in range(warmup):
                timed_ping(server)
        for _ in range(requests):
            for server in servers:
                server.samples.append(timed_ping(server))
        return {server.spec.key: Summary.of(server.samples) for server in servers}


def count_ping_queries(client: Client) -> int:
    # DEBUG keeps at most 9,000 queries; a full log would make every count zero.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PING_PATH)
    if response.status_code != 200:
        raise RuntimeError(f"In-process ping answered {response.status_code}")
    return len(queries)


def queries_per_ping(tenant_host: str) -> dict[str, int]:
    """Database queries one ping costs in-process on the tenant URLs.

    "cold" and "warm" are two requests in a row with the project's settings, after the host
    was forgotten; "cold server" is a repeated request with the cold-cache server's settings,
    which must query every time for its figure to mean what it says.
    """
    from core.tenancy import forget_hosts
    from tests.bench import uncached_settings

    counts = {}
    with override_settings(ROOT_URLCONF="tests.bench.urls_tenant"):
        client = Client(HTTP_HOST=tenant_host)
        forget_hosts(tenant_host)
        counts["cold"] = count_ping_queries(client)
        counts["warm"] = count_ping_queries(client)
    with override_settings(ROOT_URLCONF="tests.bench.urls_tenant",
                           MIDDLEWARE=uncached_settings.MIDDLEWARE,
                           CACHES=uncached_settings.CACHES):
        client = Client(HTTP_HOST=tenant_host)
        count_ping_queries(client)
        counts["cold server"] = count_ping_queries(client)
    connection.set_schema_to_public()
    return counts


@dataclass(frozen=True)
class OverheadResult:
    summaries: dict[str, Summary]
    specs: list[ServerSpec]
    queries: dict[str, int]
    warmup: int
    requests: int

    def overhead(self, key: str, field: str) -> float:
        return getattr(self.summaries[key], field) - getattr(self.summaries["plain"], field)


def run_overhead_bench(env: dict, tenant_host: str, warmup: int,
                       requests: int) -> OverheadResult:
    specs = [
        ServerSpec("plain", "Plain (no tenancy middleware)", "tests.bench.plain_settings",
                   "localhost"),
        ServerSpec("tenant", "Tenant, warm host cache", "tests.bench.tenant_settings",
                   tenant_host),
        ServerSpec("cold", "Tenant, cold host cache (every request misses)",
                   "tests.bench.uncached_settings", tenant_host),
    ]
    summaries = measure_servers(specs, env, warmup, requests)
    return OverheadResult(summaries=summaries, specs=specs, queries=queries_per_ping(tenant_host),
                          warmup=warmup, requests=requests)


def overhead_section(result: OverheadResult, run_line: str) -> str:
    rows = []
    for spec in result.specs:
        summary = result.summaries[spec.key]
        if spec.key == "plain":
            extra = ["—", "—", "—", "—"]
        else:
            median_overhead = result.overhead(spec.key, "median")
            extra = [milliseconds(median_overhead), milliseconds(result.overhead(spec.key, "p95")),
                     f"< {milliseconds(OVERHEAD_TARGET)}",
                     verdict(median_overhead < OVERHEAD_TARGET)]
        rows.append([spec.label, f"`Host: {spec.host}`", milliseconds(summary.median),
                     milliseconds(summary.p95), *extra])
    table = markdown_table(["Server", "Host", "Median", "p95", "Overhead (median)",
                            "Overhead (p95)", "Target", "Met"], rows)
    return f"""## Tenancy overhead per request

{run_line}

Three `uvicorn core.asgi:application --workers 1 --no-access-log` processes on the bench
database, default settings (DEBUG as configured), each serving `GET {PING_PATH}` (a view that
returns "pong" without touching the database): one with `core.tenancy.CachedTenantMiddleware`
removed and only the ping URL (`tests/bench/plain_settings.py`), one with the project's full
middleware and tenant URLs (`tests/bench/tenant_settings.py`), and one like it whose middleware
calls `forget_hosts` before each lookup and whose shared host cache is a dummy, so every request
misses every cache layer and pays the Domain query (`tests/bench/uncached_settings.py`).
One httpx keep-alive client per server, sequential requests: {result.warmup} warm-up requests
each, then {result.requests} measured requests each, alternating between the servers.
Latency is client-side, request sent to body read. Overhead is the tenant figure minus the
plain one; target: median overhead under {milliseconds(OVERHEAD_TARGET)}.

{table}

Database queries for one ping on the tenant URLs, counted in-process with Django's test
client: {result.queries["cold"]} with a cold host cache, {result.queries["warm"]} with a warm
one, and {result.queries["cold server"]} on a repeated request with the cold-cache server's
settings. The tenant server also runs the tenant-only Oscar basket and Wagtail redirect middleware,
which the plain server skips, so the overhead covers everything a tenant host adds.
"""
