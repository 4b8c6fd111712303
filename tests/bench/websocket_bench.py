"""Benchmark 4: live notifications pushed to 1,000 concurrent websockets under uvicorn."""

import asyncio
import gc
import json
import logging
import os
import queue
import resource
import runpy
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import httpx

from tests.bench.overhead_bench import PROJECT_DIR, UVICORN, free_port, stop_process_group
from tests.bench.report import markdown_table, seconds, verdict

WS_PATH = "/ws/notifications/"
INBOX_PATH = "/api/v1/notifications/?page_size=100"
KIND = "announcement.staff"
MARKER = "websocket-bench"
PLAN_CODE = "bench-no-staff-limit"
LATENCY_TARGET = 0.100
WORKER_COUNTS = (1, 2)
BATCH, SINGLE = "batch", "single"
MODE_LABELS = {BATCH: "one notify() per tenant ({users} users)", SINGLE: "one notify() per user"}
# Handshakes in flight at once; the rest wait their turn (every socket stays open afterwards).
CONNECT_CONCURRENCY = 100
OPEN_TIMEOUT = 60
CATCH_UP_CONCURRENCY = 20
ROUND_PAUSE = 1.0
DELIVERY_TIMEOUT = 10.0
STARTUP_TIMEOUT = 90
EVENT_TIMEOUT = 600
FD_LIMIT = 65536
GC_LINE = "bench-full-gc"


def raise_fd_limit(wanted: int = FD_LIMIT) -> int:
    """Lift the soft limit on open files towards the hard one: each socket is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def bench_payload(body, run_id: str) -> dict | None:
    """This run's data in a notification body, or None for any other notification (the same
    users get an earlier configuration's rounds, with the same round numbers, in their inbox)."""
    try:
        payload = json.loads(body)
    except (TypeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    return payload if (payload.get("bench"), payload.get("run")) == (MARKER, run_id) else None


class FullCollections:
    """Wall-clock spans of this process's full (generation 2) garbage collections, which stop
    its event loop or thread for their whole length: kept, or written as lines to a stream."""

    def __init__(self, stream=None):
        self.stream, self.started, self.spans = stream, 0.0, []

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.time()
        elif self.stream is not None:
            self.stream.write(f"{GC_LINE} {self.started:.6f} {time.time():.6f}\n")
            self.stream.flush()
        else:
            self.spans.append((self.started, time.time()))

    @contextmanager
    def watching(self):
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


def observed_application():
    """core.asgi's application, unchanged, in a server process that logs its full garbage
    collections to stderr (`uvicorn --factory`); the bench reads them from the server log."""
    from core.asgi import application

    gc.callbacks.append(FullCollections(sys.stderr))
    return application


def logged_collections(log_path: Path) -> list[tuple[float, float]]:
    spans = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith(GC_LINE + " "):
            started, ended = line.split()[1:3]
            spans.append((float(started), float(ended)))
    return spans


# --- The load generator: a separate process, so that it shares neither an event loop nor the
# --- GIL with the notifier in the bench process.

class ClientSocket:
    """One user's websocket: what arrived on it, and whether each message was meant for it."""

    def __init__(self, run_id: str, slug: str, host: str, user_id: int, session_key: str):
        self.run_id = run_id
        self.slug, self.host, self.user_id, self.session_key = slug, host, user_id, session_key
        self.ws = None
        self.received: dict[int, tuple[float, float, int]] = {}  # round: (sent, received, id)
        self.wrong: list[dict] = []
        self.duplicates = 0
        self.closing = False
        self.dropped = False

    async def open(self, port: int, cookie: str, semaphore: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect

        async with semaphore:
            ws = await connect(
                f"ws://{self.host}:{port}{WS_PATH}", origin=f"http://{self.host}:{port}",
                additional_headers={"Cookie": f"{cookie}={self.session_key}"},
                host="127.0.0.1", port=port, proxy=None, open_timeout=OPEN_TIMEOUT,
                # Browsers send no protocol pings; the server's own keep-alive still runs.
                ping_interval=None, close_timeout=5)
            hello = json.loads(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT))
        if hello.get("type") != "hello" or hello.get("user") != self.user_id:
            await ws.close()
            raise RuntimeError(f"{self.slug}/{self.user_id}: greeted with {hello!r}")
        self.ws = ws

    async def read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                # The clock is read before any parsing, so the figure is arrival time.
                self.take(raw, time.time())
        except ConnectionClosed:
            pass
        self.dropped = not self.closing

    def take(self, raw, received: float) -> None:
        message = json.loads(raw)
        if message.get("type") != "notification":
            return
        note = message.get("notification") or {}
        payload = bench_payload(note.get("body"), self.run_id)
        if payload is None:
            return
        if payload.get("tenant") != self.slug or self.user_id not in payload.get("users", ()):
            self.wrong.append({"to": f"{self.slug}/{self.user_id}", "meant for":
                               f"{payload.get('tenant')}/{payload.get('users')}"})
        elif payload["round"] in self.received:
            self.duplicates += 1
        else:
            self.received[payload["round"]] = (payload["sent"], received, note.get("id"))

    async def inbox(self, http: httpx.AsyncClient, port: int, cookie: str, rounds: set[int],
                    semaphore: asyncio.Semaphore) -> dict[int, tuple[int, dict]]:
        """The bench's notifications in the user's inbox over the API, as a client catching
        up after a reconnect reads them: round -> (id, payload)."""
        headers = {"Host": f"{self.host}:{port}", "Cookie": f"{cookie}={self.session_key}"}
        found, path = {}, INBOX_PATH
        async with semaphore:
            while path:
                response = await http.get(path, headers=headers)
                response.raise_for_status()
                data = response.json()
                for row in data["results"]:
                    payload = bench_payload(row.get("body"), self.run_id)
                    if payload is not None:
                        found[payload["round"]] = (row["id"], payload)
                following = data.get("next")
                if rounds <= found.keys() or not following:
                    break
                parts = urlsplit(following)
                path = f"{parts.path}?{parts.query}"
        return found


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def connect_all(sockets: list[ClientSocket], port: int, cookie: str,
                      concurrency: int) -> list[str]:
    semaphore = asyncio.Semaphore(concurrency)
    outcomes = await asyncio.gather(*(sock.open(port, cookie, semaphore) for sock in sockets),
                                    return_exceptions=True)
    return [f"{type(outcome).__name__}: {outcome}" for outcome in outcomes
            if isinstance(outcome, BaseException)]


async def close_all(sockets: list[ClientSocket]) -> None:
    for sock in sockets:
        sock.closing = True
    await asyncio.wait_for(asyncio.gather(
        *(sock.ws.close() for sock in sockets if sock.ws), return_exceptions=True), 30)


async def run_clients(spec: dict) -> None:
    raise_fd_limit()
    port, cookie = spec["port"], spec["cookie"]
    sockets = [ClientSocket(spec["run"], *user) for user in spec["users"]]

    # One socket per tenant first, then closed: the server's first handshakes pay for lazy
    # imports and new pooled database connections, which the measured storm should not.
    first_of_tenant = list({sock.slug: sock for sock in reversed(sockets)}.values())
    warm = [ClientSocket(s.run_id, s.slug, s.host, s.user_id, s.session_key)
            for s in first_of_tenant]
    warm_errors = await connect_all(warm, port, cookie, spec["concurrency"])
    await close_all(warm)

    started = time.perf_counter()
    errors = await connect_all(sockets, port, cookie, spec["concurrency"])
    elapsed = time.perf_counter() - started
    connected = [sock for sock in sockets if sock.ws]
    readers = [asyncio.create_task(sock.read()) for sock in connected]
    emit({"event": "connected", "connected": len(connected), "failed": len(errors),
          "seconds": elapsed, "errors": errors[:5], "warm_up_failed": len(warm_errors)})

    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        return  # the bench process went away
    command = json.loads(line)
    rounds, measured = set(command["rounds"]), set(command["measured"])
    deadline = time.monotonic() + command["timeout"]
    while (time.monotonic() < deadline
           and not all(rounds <= sock.received.keys() for sock in connected)):
        await asyncio.sleep(0.05)
    missing_on_socket = sum(len(measured - sock.received.keys()) for sock in sockets)

    semaphore = asyncio.Semaphore(CATCH_UP_CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False,
                                 timeout=60) as http:
        inboxes = await asyncio.gather(
            *(sock.inbox(http, port, cookie, measured, semaphore) for sock in sockets),
            return_exceptions=True)
    wrong = [item for sock in sockets for item in sock.wrong]
    api_failures, missing_after, wrong_ids = [], 0, 0
    for sock, inbox in zip(sockets, inboxes, strict=True):
        if isinstance(inbox, BaseException):
            api_failures.append(f"{sock.slug}/{sock.user_id}: {inbox!r}")
            missing_after += len(measured - sock.received.keys())
            continue
        for _, payload in inbox.values():
            if payload.get("tenant") != sock.slug or sock.user_id not in payload.get("users", ()):
                wrong.append({"to": f"{sock.slug}/{sock.user_id}", "meant for": "(inbox row) "
                              f"{payload.get('tenant')}/{payload.get('users')}"})
        # A pushed id that is not the one in the user's own inbox was someone else's row.
        wrong_ids += sum(1 for round_no, (_, _, pushed_id) in sock.received.items()
                         if round_no in inbox and inbox[round_no][0] != pushed_id)
        missing_after += len(measured - sock.received.keys() - inbox.keys())

    records = [[round_no, sock.slug, sock.user_id, sent, received]
               for sock in sockets for round_no, (sent, received, _) in sock.received.items()
               if round_no in measured]
    emit({"event": "result", "records": records, "wrong": len(wrong) + wrong_ids,
          "wrong_examples": wrong[:5], "missing_on_socket": missing_on_socket,
          "missing_after_catch_up": missing_after, "duplicates":
          sum(sock.duplicates for sock in sockets), "dropped":
          sum(sock.dropped for sock in connected), "api_failures": len(api_failures),
          "api_failure_examples": api_failures[:5]})
    await close_all(connected)
    for reader in readers:
        reader.cancel()


def client_main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    try:
        import uvloop
    except ImportError:
        asyncio.run(run_clients(spec))
    else:
        uvloop.run(run_clients(spec))


# --- The bench process: tenants, users and sessions; the server; the notifier.

@dataclass
class TenantUsers:
    tenant: object
    users: list


def unlimited_plan():
    from tenants.models import Plan

    plan, _ = Plan.objects.get_or_create(
        code=PLAN_CODE, defaults={"name": "Bench (no staff limit)", "max_staff_users": None})
    return plan


def bench_tenants(count: int) -> list:
    """The first ``count`` live tenants by slug (those the other benchmarks made), provisioning
    any shortfall; all moved to a plan without a staff limit."""
    from django.db import connection
    from django_tenants.utils import get_public_schema_name

    from tenants.models import Tenant
    from tests.bench.provisioning_bench import provision_bench_tenant

    connection.set_schema_to_public()
    live = (Tenant.objects.exclude(schema_name=get_public_schema_name())
            .filter(status=Tenant.Status.ACTIVE).order_by("slug"))
    tenants, number = list(live[:count]), 0
    while len(tenants) < count:
        number += 1
        slug = f"bench-ws-{number:02d}"
        if not Tenant.objects.filter(slug=slug).exists():
            tenants.append(provision_bench_tenant(slug, use_spare=False).tenant)
    Tenant.objects.filter(pk__in=[t.pk for t in tenants]).update(plan=unlimited_plan())
    return list(Tenant.objects.filter(pk__in=[t.pk for t in tenants]).order_by("slug"))


def staff_users(tenant, count: int) -> list:
    """``count`` sales reps of ``tenant``, created through core.accounts as the app does."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    from core.accounts import create_user

    users = []
    with tenant_context(tenant):
        for number in range(1, count + 1):
            email = f"socket-{number:02d}@{tenant.slug}.bench.example"
            user = (get_user_model().objects.filter(email=email).first()
                    or create_user(email=email, password=None, role="sales_rep",
                                   first_name=f"Socket {number}"))
            users.append(user)
    return users


def session_keys(tenant, users: list) -> list[str]:
    """A signed-in session per user in the tenant's own session table, as a login makes."""
    from django.contrib.sessions.backends.db import SessionStore
    from django_tenants.utils import tenant_context

    keys = []
    with tenant_context(tenant):
        for user in users:
            session = SessionStore()
            session["_auth_user_id"] = str(user.pk)
            session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            session["_auth_user_hash"] = user.get_session_auth_hash()
            session.create()
            keys.append(session.session_key)
    return keys


def server_channel_layers(server_env: dict) -> dict:
    """CHANNEL_LAYERS as core/settings.py builds it in the server's environment, so that the
    notifier sends with the server's own layer, options included."""
    wanted = {key: server_env[key] for key in ("REDIS_URL", "CACHE_KEY_PREFIX")}
    with mock.patch.dict(os.environ, wanted):
        layers = runpy.run_path(str(PROJECT_DIR / "core" / "settings.py"))["CHANNEL_LAYERS"]
    if "InMemory" in layers["default"]["BACKEND"]:
        raise RuntimeError("core/settings.py gave an in-process channel layer despite REDIS_URL")
    return layers


def layer_label(layers: dict) -> str:
    layer = layers["default"]
    options = {key: value for key, value in layer.get("CONFIG", {}).items()
               if key not in ("hosts", "prefix")}
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items())
    return f"`{layer['BACKEND']}`" + (f" ({shown})" if shown else " (default options)")


@dataclass(frozen=True)
class NotifyCall:
    """One notify() call of the bench, with the channel-layer part timed separately."""

    round: int
    mode: str
    slug: str
    user_ids: list[int]
    sent: float
    push_started: float
    push_ended: float
    returned: float


class PushClock:
    """Stands in for realtime.services.push to time it; the real push still does the work."""

    def __init__(self, push):
        self.push, self.started, self.ended = push, 0.0, 0.0

    def __call__(self, messages):
        self.started = time.time()
        try:
            self.push(messages)
        finally:
            self.ended = time.time()


class OverCapacity(logging.Handler):
    """Counts the deliveries channels-redis drops because the receiving channel holds
    ``capacity`` messages already; it only logs those, at INFO."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.counting, self.dropped = False, 0

    def emit(self, record):
        if self.counting and "over capacity" in str(record.msg):
            self.dropped += record.args[0] if record.args else 1

    @contextmanager
    def watching(self):
        logger = logging.getLogger("channels_redis.core")
        saved = logger.level, logger.propagate
        logger.setLevel(logging.INFO)
        logger.propagate = False  # counted here, not printed by the project's console handler
        logger.addHandler(self)
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]


def notify_call(run_id: str, group: TenantUsers, users: list, round_no: int, mode: str,
                clock: PushClock) -> NotifyCall:
    from realtime.services import notify

    ids = [user.pk for user in users]
    sent = time.time()
    body = json.dumps({"bench": MARKER, "run": run_id, "round": round_no, "sent": sent,
                       "tenant": group.tenant.slug, "users": ids})
    # email=False as the announcement job calls it: mail goes out separately, per recipient.
    rows = notify(users, kind=KIND, title=f"Bench round {round_no}", body=body, email=False)
    returned = time.time()
    if len(rows) != len(users) or clock.started < sent:
        raise RuntimeError(f"notify() stored {len(rows)} of {len(users)} rows or never pushed")
    return NotifyCall(round_no, mode, group.tenant.slug, ids, sent, clock.started, clock.ended,
                      returned)


def notify_rounds(run_id: str, groups: list[TenantUsers], rounds: list[tuple[int, str]],
                  layers: dict, over_capacity: OverCapacity,
                  collections: FullCollections) -> list[NotifyCall]:
    from django.test.utils import override_settings
    from django_tenants.utils import tenant_context

    from realtime import services

    calls, clock = [], PushClock(services.push)
    # Start from a clean heap: the set-up (and earlier benchmarks) left garbage behind that a
    # process doing only this work would not carry.
    gc.collect()
    # The bench process's settings use the in-memory layer (no REDIS_URL for the other
    # benchmarks); notify() has to reach the server's layer on Redis instead.
    with (override_settings(CHANNEL_LAYERS=layers),
          mock.patch.object(services, "push", clock), over_capacity.watching(),
          collections.watching()):
        for round_no, mode in rounds:
            over_capacity.counting = bool(round_no)
            for group in groups:
                with tenant_context(group.tenant):
                    if mode == BATCH:
                        calls.append(notify_call(run_id, group, group.users, round_no, mode,
                                                 clock))
                    else:
                        calls.extend(notify_call(run_id, group, [user], round_no, mode, clock)
                                     for user in group.users)
            time.sleep(ROUND_PAUSE)
    return calls


class ClientProcess:
    """The load generator's process: JSON lines out, one command in."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process, self.log_path, self.events = process, log_path, queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def expect(self, name: str, timeout: float = EVENT_TIMEOUT) -> dict:
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"clients sent no {name!r} in {timeout:.0f} s") from None
        if event is None or event.get("event") != name:
            raise RuntimeError(f"clients ended without {name!r}:\n"
                               f"{self.log_path.read_text()[-3000:]}")
        return event

    def send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()


@contextmanager
def client_process(spec: dict, log_dir: Path):
    spec_path, log_path = log_dir / "clients.json", log_dir / "clients.log"
    spec_path.write_text(json.dumps(spec))
    command = [sys.executable, "-m", "tests.bench.websocket_bench", "clients", str(spec_path)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=log, text=True,
                                   start_new_session=True)
    try:
        yield ClientProcess(process, log_path)
    finally:
        # End of input tells the clients to close their sockets and exit; a stuck one is
        # stopped.
        process.stdin.close()
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            stop_process_group(process)


def wait_until_serving(process: subprocess.Popen, port: int, workers: int,
                       log_path: Path) -> None:
    """Every worker has loaded the application (uvicorn logs it) and HTTP answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10,
                      headers={"Host": f"localhost:{port}"}) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited early:\n{log_path.read_text()[-3000:]}")
            if log_path.read_text().count("Started server process [") >= workers:
                try:
                    client.get("/healthz")
                    return
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer in {STARTUP_TIMEOUT} s:\n"
                       f"{log_path.read_text()[-3000:]}")


@contextmanager
def uvicorn_server(env: dict, workers: int, log_dir: Path):
    """Yield (port, log path) of a uvicorn serving the project's ASGI application."""
    port = free_port()
    log_path = log_dir / f"uvicorn-{workers}.log"
    command = [str(UVICORN), "--factory", "tests.bench.websocket_bench:observed_application",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--no-access-log"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(process, port, workers, log_path)
        yield port, log_path
    finally:
        stop_process_group(process)


@dataclass(frozen=True)
class Spread:
    """Latency percentiles, in seconds."""

    count: int
    median: float
    p95: float
    p99: float
    maximum: float

    @classmethod
    def of(cls, samples: list[float]) -> "Spread | None":
        if not samples:
            return None
        if len(samples) == 1:
            return cls(1, samples[0], samples[0], samples[0], samples[0])
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        return cls(len(samples), statistics.median(samples), cuts[94], cuts[98], max(samples))


@dataclass
class WorkerRun:
    """One server configuration's figures (or why it could not be measured)."""

    workers: int
    sockets: int
    layer: str = ""
    seconds: float = 0.0
    error: str = ""
    connected: int = 0
    connect_failed: int = 0
    connect_seconds: float = 0.0
    connect_errors: list[str] = field(default_factory=list)
    expected: int = 0
    latency: dict[str, Spread | None] = field(default_factory=dict)
    phases: dict[str, dict[str, float | Spread | None]] = field(default_factory=dict)
    wrong: int = 0
    wrong_examples: list = field(default_factory=list)
    missing_on_socket: int = 0
    over_capacity: int = 0
    server_gc: list[float] = field(default_factory=list)
    notifier_gc: list[float] = field(default_factory=list)
    missing_after_catch_up: int = 0
    duplicates: int = 0
    dropped: int = 0
    api_failures: int = 0

    @property
    def connect_rate(self) -> float:
        return self.connected / self.connect_seconds if self.connect_seconds else 0.0

    @property
    def ok(self) -> bool:
        return not self.error and self.latency.get("all") is not None

    @property
    def target_met(self) -> bool:
        return self.ok and self.latency["all"].p99 < LATENCY_TARGET


def median_of(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def analyse(run: WorkerRun, calls: list[NotifyCall], result: dict) -> None:
    """Latencies per mode, and where each message's time went: the notifier's queries and
    insert before the push, the push itself, and the server's delivery after it."""
    push_done, by_round = {}, {}
    for call in calls:
        for user_id in call.user_ids:
            push_done[(call.round, call.slug, user_id)] = call.push_ended
        by_round.setdefault(call.round, []).append(call)
    latencies = {BATCH: [], SINGLE: []}
    after_push = {BATCH: [], SINGLE: []}
    last_arrival = {}
    modes = {call.round: call.mode for call in calls}
    for round_no, slug, user_id, sent, received in result["records"]:
        mode = modes[round_no]
        latencies[mode].append(received - sent)
        after_push[mode].append(received - push_done[(round_no, slug, user_id)])
        last_arrival[round_no] = max(last_arrival.get(round_no, 0.0), received)
    run.latency = {mode: Spread.of(samples) for mode, samples in latencies.items()}
    run.latency["all"] = Spread.of(latencies[BATCH] + latencies[SINGLE])
    for mode in (BATCH, SINGLE):
        mode_calls = [call for call in calls if call.mode == mode and call.round]
        rounds = [r for r, c in by_round.items() if c[0].mode == mode and r in last_arrival]
        run.phases[mode] = {
            "calls": len(mode_calls) / max(len(rounds), 1),
            "before push": Spread.of([c.push_started - c.sent for c in mode_calls]),
            "push": Spread.of([c.push_ended - c.push_started for c in mode_calls]),
            "after push": Spread.of(after_push[mode]),
            "notifier round": median_of([by_round[r][-1].returned - by_round[r][0].sent
                                         for r in rounds]),
            "round": median_of([last_arrival[r] - by_round[r][0].sent for r in rounds]),
        }


def measure_workers(workers: int, groups: list[TenantUsers], clients: list[list], env: dict,
                    counts: dict, log_dir: Path) -> WorkerRun:
    redis_url = env["REDIS_URL"]
    run_id = uuid.uuid4().hex[:10]
    prefix = f"crm-bench-ws-{run_id}"
    server_env = {**env, "CACHE_KEY_PREFIX": prefix, "DB_POOL": "true",
                  "DJANGO_SETTINGS_MODULE": "core.settings"}
    layers = server_channel_layers(server_env)
    # Round 0 warms the notifier's and the server's paths; it is not counted.
    rounds = ([(0, BATCH)] + [(n, BATCH) for n in range(1, counts["ws_batch_rounds"] + 1)]
              + [(counts["ws_batch_rounds"] + n, SINGLE)
                 for n in range(1, counts["ws_single_rounds"] + 1)])
    measured = [round_no for round_no, _ in rounds if round_no]
    run = WorkerRun(workers=workers, sockets=len(clients), expected=len(measured) * len(clients),
                    layer=layer_label(layers))
    started = time.perf_counter()
    try:
        from django.conf import settings

        with uvicorn_server(server_env, workers, log_dir) as (port, log_path):
            spec = {"run": run_id, "port": port, "cookie": settings.SESSION_COOKIE_NAME,
                    "users": clients, "concurrency": CONNECT_CONCURRENCY}
            with client_process(spec, log_dir) as process:
                connected = process.expect("connected")
                run.connected, run.connect_failed = connected["connected"], connected["failed"]
                run.connect_seconds, run.connect_errors = connected["seconds"], connected["errors"]
                print(f"  {workers} worker(s): {run.connected} of {run.sockets} sockets in "
                      f"{seconds(run.connect_seconds)} ({run.connect_rate:.0f}/s), "
                      f"{run.connect_failed} failed", flush=True)
                over_capacity, notifier_gc = OverCapacity(), FullCollections()
                calls = notify_rounds(run_id, groups, rounds, layers, over_capacity,
                                      notifier_gc)
                run.over_capacity = over_capacity.dropped
                process.send({"rounds": [r for r, _ in rounds], "measured": measured,
                              "timeout": DELIVERY_TIMEOUT})
                result = process.expect("result")
            server_gc = logged_collections(log_path)
        analyse(run, calls, result)
        window = (min(call.sent for call in calls if call.round),
                  max(record[4] for record in result["records"]))
        run.server_gc = pauses_within(server_gc, window)
        run.notifier_gc = pauses_within(notifier_gc.spans, window)
        for key in ("wrong", "wrong_examples", "missing_on_socket", "missing_after_catch_up",
                    "duplicates", "dropped", "api_failures"):
            setattr(run, key, result[key])
        if result["api_failures"]:
            run.error = f"inbox API failed: {result['api_failure_examples'][:2]}"
    except Exception as exc:  # noqa: BLE001 - one configuration failing still reports the other
        run.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    finally:
        forget_keys(redis_url, prefix)
    run.seconds = time.perf_counter() - started
    return run


def pauses_within(spans: list[tuple[float, float]], window: tuple[float, float]) -> list[float]:
    """Lengths of the collections that overlap the measured rounds."""
    return [ended - started for started, ended in spans
            if ended >= window[0] and started <= window[1]]


def forget_keys(redis_url: str, prefix: str) -> None:
    """Drop the run's groups, queues and cache entries (groups would linger for a day)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start:start + 500])
    finally:
        client.close()


@dataclass
class WebsocketResult:
    runs: list[WorkerRun]
    tenants: int
    users_per_tenant: int
    batch_rounds: int
    single_rounds: int
    redis: str
    setup_seconds: float
    seconds: float

    @property
    def headline(self) -> WorkerRun | None:
        """Two workers use both cores, so they lead when they worked; else one worker."""
        working = [run for run in self.runs if run.ok]
        return max(working, key=lambda run: run.workers) if working else None


def run_websocket_bench(env: dict, counts: dict, redis_url: str, redis_label: str,
                        log_dir: Path) -> WebsocketResult:
    started = time.perf_counter()
    raise_fd_limit()  # uvicorn inherits it: every socket is a descriptor there too
    tenants = bench_tenants(counts["ws_tenants"])
    groups, clients = [], []
    for tenant in tenants:
        users = staff_users(tenant, counts["ws_users"])
        groups.append(TenantUsers(tenant, users))
        host = tenant.hostname
        clients += [[tenant.slug, host, user.pk, key]
                    for user, key in zip(users, session_keys(tenant, users), strict=True)]
    setup = time.perf_counter() - started
    print(f"  {len(tenants)} tenants x {counts['ws_users']} staff users with sessions ready "
          f"({seconds(setup)}, untimed)", flush=True)
    env = {**env, "REDIS_URL": redis_url}
    runs = [measure_workers(workers, groups, clients, env, counts, log_dir)
            for workers in WORKER_COUNTS]
    return WebsocketResult(runs=runs, tenants=len(tenants), users_per_tenant=counts["ws_users"],
                           batch_rounds=counts["ws_batch_rounds"],
                           single_rounds=counts["ws_single_rounds"], redis=redis_label,
                           setup_seconds=setup, seconds=time.perf_counter() - started)


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def versions() -> str:
    from importlib.metadata import version

    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    packages = ", ".join(f"{name} {version(name)}"
                         for name in ("channels", "channels-redis", "websockets", "redis"))
    protocol = getattr(AutoWebSocketsProtocol, "__name__", "none")
    return f"{packages}; uvicorn's default websocket protocol class: `{protocol}`"


def longest(pauses: list[float]) -> str:
    return ms(max(pauses)) if pauses else "—"


def websocket_section(result: WebsocketResult, run_line: str) -> str:
    sockets = result.tenants * result.users_per_tenant
    layer = result.runs[0].layer if result.runs else "—"
    labels = {mode: label.format(users=result.users_per_tenant)
              for mode, label in MODE_LABELS.items()}
    connect_rows, latency_rows, check_rows, phase_rows, gc_rows = [], [], [], [], []
    for run in result.runs:
        label = f"{run.workers}"
        if run.error and not run.latency:
            connect_rows.append([label, str(run.sockets), "—", "—", "—", "—"])
            latency_rows.append([label, "failed", "—", "—", "—", "—", "—", "—",
                                 run.error.replace("|", "\\|")])
            continue
        connect_rows.append([label, str(run.sockets), str(run.connected),
                             str(run.connect_failed), seconds(run.connect_seconds),
                             f"{run.connect_rate:.0f}"])
        for key, mode_label in [(BATCH, labels[BATCH]), (SINGLE, labels[SINGLE]),
                                ("all", "all measured messages")]:
            spread = run.latency.get(key)
            if spread is None:
                latency_rows.append([label, mode_label, "0", "—", "—", "—", "—", "—", "—"])
                continue
            latency_rows.append([label, mode_label, str(spread.count), ms(spread.median),
                                 ms(spread.p95), ms(spread.p99), ms(spread.maximum),
                                 f"< {ms(LATENCY_TARGET)}",
                                 verdict(spread.p99 < LATENCY_TARGET)])
        check_rows.append([label, str(run.expected), str(run.wrong), str(run.missing_on_socket),
                           str(run.over_capacity), str(run.missing_after_catch_up),
                           str(run.duplicates), str(run.dropped)])
        gc_rows.append([label, str(len(run.server_gc)), longest(run.server_gc),
                        str(len(run.notifier_gc)), longest(run.notifier_gc)])
        for mode in (BATCH, SINGLE):
            phase = run.phases.get(mode)
            if phase and phase["after push"]:
                phase_rows.append([label, labels[mode], f"{phase['calls']:.0f}",
                                   *(f"{ms(phase[key].median)} / {ms(phase[key].p99)}"
                                     for key in ("before push", "push", "after push")),
                                   ms(phase["notifier round"]), ms(phase["round"])])
    headline = result.headline
    if headline is None:
        headline_text = "**No configuration completed**; see the tables for the errors."
    else:
        spread = headline.latency["all"]
        headline_text = (
            f"Headline: **{headline.workers} uvicorn worker(s)** (Redis channel layer): "
            f"p99 delivery latency {ms(spread.p99)} over {spread.count} messages (median "
            f"{ms(spread.median)}); target p99 < {ms(LATENCY_TARGET)}: met "
            f"{verdict(headline.target_met)}. Delivered to a wrong user: {headline.wrong}; "
            f"still missing after the API catch-up: {headline.missing_after_catch_up}.")
    return f"""## Live notifications over websockets

{run_line}

{result.tenants} tenants × {result.users_per_tenant} staff users (sales reps; the tenants are the
first live ones by slug, moved to a plan without a staff limit), one websocket per user:
{sockets} sockets open at once on `ws://<slug>.localhost:<port>{WS_PATH}`, each with the
tenant's `Origin` and a signed-in session cookie of its user (sessions created directly in the
tenant's session table). Server: uvicorn with the project's ASGI application,
`--workers N --no-access-log` (see the garbage-collection table for how it is started), on the
bench database with `DB_POOL=true`, 1 and 2 workers (the machine has 2 cores), and the
channel layer core/settings.py builds when REDIS_URL is set: {layer}, on {result.redis}, with a
`CACHE_KEY_PREFIX` (hence layer prefix) of its own per run. Both worker counts need that
Redis layer, since the notifier is another process. Every process shares the 2 cores with
PostgreSQL, Redis, the clients and the notifier. Versions: {versions()}.

- **Clients**: one separate process, asyncio with `websockets` on uvloop, at most
  {CONNECT_CONCURRENCY} handshakes in flight. A socket counts as connected when the server's
  `hello` names its own user. One socket per tenant is opened and closed first (untimed) to warm
  the server. Connect rate = connected sockets / time from the first handshake to the last hello.
- **Notifier**: this bench process calls `realtime.services.notify(kind="{KIND}",
  email=False)` (as the announcement job does; mail is not part of the push path) with the
  server's layer configuration (read from core/settings.py for the same environment).
  Round 0 is a warm-up and not counted; then {result.batch_rounds} rounds of
  {labels[BATCH]} and {result.single_rounds} rounds of {labels[SINGLE]}; each round
  notifies every user once, tenants one after another, with {ROUND_PAUSE:g} s between rounds.
- **Latency**: each body carries `time.time()` taken just before its `notify()` call and the
  intended tenant and user ids; latency = the client's `time.time()` when the frame arrives
  minus that stamp (same machine clock). It covers notify's queries and insert, the push
  after commit, Redis, the consumer and the socket.
- **Checks**: a message whose embedded tenant/user is not the socket's own, or whose
  notification id is not the one in the user's own inbox, counts as delivered to a wrong user.
  A message not received on the socket within {DELIVERY_TIMEOUT:g} s of the last round is lost
  on the socket; every user then reads `GET {INBOX_PATH}` with its session, and what is in
  neither place is still missing after the catch-up. channels-redis drops a `group_send`
  delivery silently (an INFO log line) when the receiving channel already holds `capacity`
  messages; the bench counts those log lines in the notifier.

{headline_text}

Connections:

{markdown_table(["Workers", "Sockets", "Connected", "Failed", "Connect time", "Rate (conn/s)"],
                connect_rows)}

Delivery latency (notify() call to frame received):

{markdown_table(["Workers", "Rounds", "Messages", "Median", "p95", "p99", "Max", "Target p99",
                 "Met"], latency_rows)}

Correctness:

{markdown_table(["Workers", "Messages expected", "Wrong user", "Not on socket in time",
                 "Of which dropped by the layer (over capacity)", "Missing after API catch-up",
                 "Duplicates", "Sockets dropped"], check_rows)}

Where the time goes, median / p99 per `notify()` call ("before push": its preference query,
the insert and the unread-count query; "push": `realtime.groups.push`, timed by wrapping it,
i.e. the channel layer's `group_send` calls) and per message ("after push": push finished to
frame received: Redis, the server's receive loop, the consumer and the client). A round runs
from its first `notify()` call to its last frame received; the notifier's part of it ends
when its last call returns:

{markdown_table(["Workers", "Rounds", "Calls per round", "Before push", "Push", "After push",
                 "Notifier round", "Round to last frame"], phase_rows)}

Full (generation 2) garbage collections that overlapped the measured rounds, from
`gc.callbacks`: in the server (uvicorn runs `--factory
tests.bench.websocket_bench:observed_application`, which returns `core.asgi.application`
unchanged and only logs each full collection) and in the notifier. A full collection stops
that process's event loop or thread for its whole length, so every message passing through
it then waits that long:

{markdown_table(["Workers", "Server: collections", "Server: longest", "Notifier: collections",
                 "Notifier: longest"], gc_rows)}

The whole benchmark took {seconds(result.seconds)}, of which {seconds(result.setup_seconds)}
creating users and sessions (and any missing tenants).
"""


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "clients":
        sys.exit("usage: python -m tests.bench.websocket_bench clients SPEC.json")
    client_main(sys.argv[2])
