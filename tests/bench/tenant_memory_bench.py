"""Benchmark "tenant-memory": the memory of one web process as it serves more and more tenants.

One uvicorn process (the production settings' shape: DEBUG off) serves every tenant of the
fleet in turn: the tenant's site home, shop catalogue, portal sign-in, and, signed in as the
tenant's owner, the back office's dashboard and contact list. Its resident memory is read from
/proc after each step of tenants, then again after a second round over all of them. Memory that
grows with the tenant count (a per-tenant cache without a bound, say) shows as a slope.
Import after django.setup().
"""

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection

from tests.bench.overhead_bench import (
    PROJECT_DIR,
    UVICORN,
    free_port,
    stop_process_group,
    wait_until_serving,
)
from tests.bench.report import markdown_table, verdict

ANONYMOUS_PAGES = ("/", "/shop/catalogue/", "/portal/login/")
SIGNED_IN_PAGES = ("/app/", "/app/customers/contacts/", "/app/service/")
# The process must not grow with the tenant count: allow a few kilobytes per extra tenant for
# what the interpreter's allocator keeps, not for anything kept per tenant.
GROWTH_LIMIT_KB_PER_TENANT = 8
# Below this the first requests' warm-up (templates, translations, imports) outweighs any
# per-tenant growth, and the slope says nothing.
MIN_TENANTS_TO_JUDGE = 200


@dataclass(frozen=True)
class Checkpoint:
    label: str
    tenants_served: int
    requests: int
    rss_kb: int


@dataclass
class MemoryBenchResult:
    tenants: int
    pages: int
    seconds: float = 0.0
    checkpoints: list[Checkpoint] = field(default_factory=list)

    def rss_at(self, label: str) -> int:
        return next(point.rss_kb for point in self.checkpoints if point.label == label)

    @property
    def baseline(self) -> Checkpoint:
        # After the first tenth of the fleet: imports, template and URL caches are warm.
        return self.checkpoints[1]

    @property
    def first_round_end(self) -> Checkpoint:
        return next(point for point in self.checkpoints if point.label.startswith("round 1")
                    and point.tenants_served == self.tenants)

    @property
    def growth_kb_per_tenant(self) -> float:
        extra = self.first_round_end.tenants_served - self.baseline.tenants_served
        return (self.first_round_end.rss_kb - self.baseline.rss_kb) / max(1, extra)

    @property
    def judged(self) -> bool:
        return self.tenants >= MIN_TENANTS_TO_JUDGE

    @property
    def bounded(self) -> bool:
        return self.growth_kb_per_tenant <= GROWTH_LIMIT_KB_PER_TENANT

    @property
    def bounded_verdict(self) -> str:
        if not self.judged:
            return f"not judged below {MIN_TENANTS_TO_JUDGE} tenants"
        return verdict(self.bounded)


def resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def owner_session(tenant) -> str:
    """A signed-in session for the tenant's owner, stored in its schema like a real sign-in."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_tenants.utils import tenant_context

    from core.models import User

    with tenant_context(tenant):
        owner = User.objects.filter(is_active=True).order_by("pk").first()
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(owner.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
        session.create()
        return session.session_key


def serve_tenant(client: httpx.Client, host: str, session_key: str) -> int:
    """Every page of one tenant; raises on anything but a page (or the sign-in redirect)."""
    for path in ANONYMOUS_PAGES:
        response = client.get(path, headers={"Host": host})
        if response.status_code != 200:
            raise RuntimeError(f"{host}{path} answered {response.status_code}")
    cookies = {settings.SESSION_COOKIE_NAME: session_key}
    for path in SIGNED_IN_PAGES:
        response = client.get(path, headers={"Host": host}, cookies=cookies)
        if response.status_code != 200:
            raise RuntimeError(f"{host}{path} answered {response.status_code} signed in")
    client.cookies.clear()
    return len(ANONYMOUS_PAGES) + len(SIGNED_IN_PAGES)


def checkpoints_for(count: int) -> set[int]:
    return {max(1, count // 10), count // 4, count // 2, count}


def run_tenant_memory_bench(env: dict, tenants: list, rounds: int = 2) -> MemoryBenchResult:
    sessions = [(tenant.hostname, owner_session(tenant)) for tenant in tenants]
    connection.set_schema_to_public()
    connection.close()  # the server must not share this process's connection state
    port = free_port()
    server_env = {**env, "DJANGO_SETTINGS_MODULE": "core.settings", "DEBUG": "false",
                  "LOG_LEVEL": "WARNING"}
    result = MemoryBenchResult(tenants=len(tenants),
                               pages=len(ANONYMOUS_PAGES) + len(SIGNED_IN_PAGES))
    marks = checkpoints_for(len(tenants))
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as log_dir:
        # DEBUG off serves static files from a collected manifest, as the production image
        # does; collected into a directory of its own, since .data/static may be in use.
        server_env["STATIC_ROOT"] = str(Path(log_dir) / "static")
        subprocess.run([str(PROJECT_DIR / ".venv" / "bin" / "python"), "manage.py",  # noqa: S603
                        "collectstatic", "--noinput", "-v0"], cwd=PROJECT_DIR, env=server_env,
                       check=True)
        log_path = Path(log_dir) / "uvicorn-memory.log"
        with open(log_path, "wb") as log:
            # One process, no workers: uvicorn serves in the process it was started as.
            process = subprocess.Popen(  # noqa: S603
                [str(UVICORN), "core.asgi:application", "--host", "127.0.0.1", "--port",
                 str(port), "--no-access-log"], cwd=PROJECT_DIR, env=server_env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                wait_until_serving(process, client, log_path, path="/healthz")
                result.checkpoints.append(Checkpoint("started", 0, 0,
                                                     resident_kb(process.pid)))
                started, requests = time.perf_counter(), 0
                for round_number in range(1, rounds + 1):
                    for served, (hostname, session_key) in enumerate(sessions, start=1):
                        requests += serve_tenant(client, f"{hostname}:{port}", session_key)
                        if round_number == 1 and served in marks or served == len(sessions):
                            result.checkpoints.append(Checkpoint(
                                f"round {round_number}", served, requests,
                                resident_kb(process.pid)))
                            print(f"  round {round_number}, {served} tenants, {requests} "
                                  f"requests: {result.checkpoints[-1].rss_kb / 1024:.1f} MiB",
                                  flush=True)
                result.seconds = time.perf_counter() - started
        finally:
            stop_process_group(process)
    return result


def fleet_tenants(count: int) -> list:
    """The first ``count`` live tenants, adding bench tenants first if there are fewer."""
    from tenants.models import Tenant
    from tests.bench.bulk_tenants import provision_many

    connection.set_schema_to_public()
    live = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(
        schema_name="public").order_by("schema_name")
    missing = count - live.count()
    if missing > 0:
        made = provision_many(missing, "bench-fleet")
        print(f"  added {missing} tenant(s) in {made.restore_seconds + made.provision_seconds:.0f}"
              f" s (untimed)", flush=True)
    return list(live[:count])


def memory_section(result: MemoryBenchResult, run_line: str) -> str:
    rows = [[point.label, str(point.tenants_served), str(point.requests),
             f"{point.rss_kb / 1024:.1f} MiB"] for point in result.checkpoints]
    last = result.checkpoints[-1]
    second_round = last.rss_kb - result.first_round_end.rss_kb
    grown = (result.first_round_end.rss_kb - result.baseline.rss_kb) / 1024
    anonymous = ", ".join(f"`{page}`" for page in ANONYMOUS_PAGES)
    signed_in = ", ".join(f"`{page}`" for page in SIGNED_IN_PAGES)
    return f"""## Memory of one web process serving {result.tenants} tenants

{run_line}

One uvicorn process (DEBUG off, caches and sessions in Redis as in production) serves each
tenant in turn: {anonymous} anonymously, and {signed_in} signed in as the tenant's owner:
{result.pages} pages per tenant, {last.requests:,} requests in {result.seconds:.0f} s over two
rounds. Its resident memory (VmRSS) is read from /proc at each step.

{markdown_table(["After", "Tenants served", "Requests", "Resident memory"], rows)}

- From {result.baseline.tenants_served} to {result.tenants} tenants the process grew by
  {grown:.1f} MiB: {result.growth_kb_per_tenant:.1f} KiB per extra tenant (limit
  {GROWTH_LIMIT_KB_PER_TENANT} KiB). Bounded: {result.bounded_verdict}.
- The second round over the same tenants changed it by {second_round / 1024:+.1f} MiB.
"""


def main() -> int:
    import argparse

    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    django.setup()
    result = run_tenant_memory_bench(dict(os.environ), fleet_tenants(args.tenants), args.rounds)
    print(memory_section(result, "_Run alone on the current DATABASE_URL._"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
