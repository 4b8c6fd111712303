"""Observability: request ids and tenants in JSON logs, Prometheus metrics, readiness."""

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import time

import httpx
import pytest
import redis
from asgiref.testing import ApplicationCommunicator
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core.observability.logs import LogContextFilter, json_formatter
from core.observability.metrics import celery_queue_key
from core.request_id import request_id_var
from realtime.consumers import NotificationConsumer
from tenants.models import Tenant
from tests.fixtures.servers import database_url, free_port
from tests.fixtures.world import host_client

ACCOUNT_ROUTE = "customers:account-detail"


@pytest.fixture
def json_lines():
    """JSON lines written through the project's filter and formatter (access log included)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(json_formatter())
    access = logging.getLogger("core.access")
    old_level = access.level
    access.setLevel(logging.INFO)
    access.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    access.removeHandler(handler)
    access.setLevel(old_level)


def scrape(host="acme.localhost", **headers) -> dict:
    """Samples of /metrics as {(name, sorted labels): value}."""
    response = host_client(host).get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def request_counts(samples, route):
    return {labels: value for (name, labels), value in samples.items()
            if name == "crm_http_requests_total" and dict(labels)["route"] == route}


# --- request ids and logs ---

def test_a_sane_request_id_round_trips_and_is_logged_with_the_tenant(acme, json_lines):
    response = host_client("acme.localhost").get("/app/login/",
                                                 HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    [line] = [line for line in json_lines() if line["request_id"] == "lb-0123456789abcdef"]
    assert line["tenant"] == acme.tenant.schema_name
    assert line["level"] == "INFO"
    assert line["logger"] == "core.access"
    assert line["route"] == "backoffice:login"
    assert line["status"] == 200


@pytest.mark.parametrize("sent", [None, "", "short", "has space 1234567", "x" * 129,
                                  "evil\nline-123456", "{\"json\": 1}"])
def test_a_missing_or_bad_request_id_is_replaced_by_a_new_one(acme, sent, json_lines):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = host_client("acme.localhost").get("/app/login/", **headers)
    generated = response["X-Request-ID"]
    assert generated != sent
    assert len(generated) == 32
    assert int(generated, 16) >= 0
    assert generated in [line["request_id"] for line in json_lines()]


def test_each_request_gets_its_own_id(acme):
    client = host_client("acme.localhost")
    assert client.get("/app/login/")["X-Request-ID"] != client.get("/app/login/")["X-Request-ID"]


def test_the_request_id_is_set_on_the_tenancy_404_of_an_unknown_host(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    response = host_client("nobody.localhost").get("/app/", HTTP_X_REQUEST_ID="probe-12345678")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "probe-12345678"


def _log_output(log_format: str | None) -> str:
    environment = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    if log_format:
        environment["LOG_FORMAT"] = log_format
    script = ("import django, logging; django.setup(); "
              "logging.getLogger('crm.example').warning('disk %s full', 'sda')")
    result = subprocess.run([sys.executable, "-c", script], env=environment, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stderr.strip().splitlines()[-1]


def test_log_format_json_switches_the_console_to_json_lines():
    line = json.loads(_log_output("json"))
    assert line["message"] == "disk sda full"
    assert line["level"] == "WARNING"
    assert line["logger"] == "crm.example"
    assert line["tenant"] == "public"
    assert line["request_id"] == "-"
    assert "time" in line


def test_the_default_log_format_stays_plain_text():
    assert _log_output(None) == "disk sda full"


def test_log_records_carry_the_schema_a_task_or_request_is_running_in(acme):
    record = logging.LogRecord("crm.example", logging.INFO, __file__, 1, "hello", None, None)
    with tenant_context(acme.tenant):
        LogContextFilter().filter(record)
    assert record.tenant == acme.tenant.schema_name
    assert record.request_id == "-"


@shared_task(name="tests.observability.request_ids", bind=True)
def request_ids(self):
    """What a task sees: the request id header of its message and the id its logs carry."""
    record = logging.LogRecord("crm.example", logging.INFO, __file__, 1, "hello", None, None)
    LogContextFilter().filter(record)
    return {"header": (self.request.headers or {}).get("request_id")
            or self.request.get("request_id"), "logged": record.request_id,
            "tenant": record.tenant}


def test_a_task_queued_in_a_request_carries_its_request_id(acme):
    token = request_id_var.set("queued-by-request-1")
    try:
        with tenant_context(acme.tenant):
            seen = request_ids.apply_async().get()
    finally:
        request_id_var.reset(token)
    assert seen == {"header": "queued-by-request-1", "logged": "queued-by-request-1",
                    "tenant": acme.tenant.schema_name}


def test_a_worker_logs_under_the_request_id_of_the_message(acme):
    with tenant_context(acme.tenant):
        seen = request_ids.apply(headers={"request_id": "from-the-message"}).get()
    assert seen["logged"] == "from-the-message"


def test_a_task_queued_outside_a_request_logs_its_own_task_id(acme):
    with tenant_context(acme.tenant):
        result = request_ids.apply_async()
    assert result.get()["header"] is None
    assert result.get()["logged"] == result.id


def test_uvicorn_workers_share_metrics_and_write_json_logs(committed, tmp_path):
    """Two uvicorn processes: a scrape sums both (PROMETHEUS_MULTIPROC_DIR) and their log lines
    are JSON with tenant and request id."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    log_path = tmp_path / "server.log"
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url(), "DB_POOL": "true",
                   "LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with open(log_path, "w") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "uvicorn", "core.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2", "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.3)
        host = {"Host": f"acme.localhost:{port}"}
        for number in range(8):  # a new connection each time, so both workers answer
            response = httpx.get(f"{base}/app/login/", timeout=30,
                                 headers={**host, "X-Request-ID": f"live-request-{number}"})
            assert response.status_code == 200
            assert response.headers["X-Request-ID"] == f"live-request-{number}"
        # Whichever process answers a scrape reports every process's requests.
        scrapes = [httpx.get(f"{base}/metrics", headers=host, timeout=30).text
                   for _ in range(4)]
    finally:
        server.terminate()
        server.wait(20)
    schema = Tenant.objects.get(slug="acme").schema_name
    for scraped in scrapes:
        logins = [sample for family in text_string_to_metric_families(scraped)
                  for sample in family.samples if sample.name == "crm_http_requests_total"
                  and sample.labels["route"] == "backoffice:login"]
        assert sum(sample.value for sample in logins) == 8
        assert {sample.labels["tenant"] for sample in logins} == {schema}
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{")]
    logged = {line["request_id"]: line for line in lines if line["logger"] == "core.access"}
    for number in range(8):
        assert logged[f"live-request-{number}"]["tenant"] == schema


# --- metrics ---

def test_metrics_count_requests_to_a_tenant_host_by_route_not_by_path(acme):
    before = request_counts(scrape(), ACCOUNT_ROUTE)
    client = host_client("acme.localhost")
    client.get("/app/customers/accounts/111/")
    client.get("/app/customers/accounts/222/")
    samples = scrape()
    counts = request_counts(samples, ACCOUNT_ROUTE)
    # Two ids on one route: one label set, counted twice.
    new_label_sets = [labels for labels in counts if counts[labels] != before.get(labels, 0)]
    assert len(new_label_sets) == 1
    labels = dict(new_label_sets[0])
    assert labels == {"method": "GET", "route": ACCOUNT_ROUTE, "status": labels["status"],
                      "tenant": acme.tenant.schema_name}
    assert labels["status"] in {"2xx", "3xx", "4xx"}
    assert counts[new_label_sets[0]] - before.get(new_label_sets[0], 0) == 2
    assert not any("111" in value or "222" in value
                   for (_, label_set) in samples for _, value in label_set)
    latency = [labels for (name, labels), _ in samples.items()
               if name == "crm_http_request_duration_seconds_count"
               and dict(labels)["route"] == ACCOUNT_ROUTE]
    assert latency
    assert all("tenant" not in dict(labels) for labels in latency)


def test_unresolved_paths_count_as_unmatched(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    before = sum(request_counts(scrape(), "unmatched").values())
    host_client("nobody.localhost").get("/some/random/path/12345")
    after = request_counts(scrape(), "unmatched")
    assert sum(after.values()) == before + 1
    assert not any("12345" in value for labels in after for _, value in labels)


def test_probes_and_metrics_answer_on_any_host(db):
    # A pod's IP is in no ALLOWED_HOSTS; the endpoints are answered before the Host check.
    pod = host_client("10.0.0.7:8000")
    assert pod.get("/metrics").status_code == 200
    assert pod.get("/healthz").status_code == 200
    assert pod.get("/readyz").status_code == 200
    assert pod.get("/portal/login/").status_code in (400, 404)  # nothing else is served
    assert host_client("localhost").get("/metrics").status_code == 200


def test_without_a_token_metrics_are_refused_through_a_proxy(acme):
    proxied = host_client("acme.localhost").get("/metrics",
                                                HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 404
    assert b"crm_http" not in proxied.content


def test_the_metrics_token_guards_the_endpoint(acme, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    client = host_client("acme.localhost")
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"crm_http" not in missing.content
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic c2NyYXBl").status_code == 401
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert allowed.status_code == 200
    assert b"crm_http_requests_total" in allowed.content


def test_metrics_refuse_other_methods(db):
    assert host_client("localhost").post("/metrics").status_code == 405


def test_the_celery_queue_depth_is_read_from_redis_at_scrape_time(db):
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = celery_queue_key()
    client.delete(key)
    try:
        client.rpush(key, "one", "two", "three")
        samples = scrape("localhost")
        assert samples[("crm_celery_queue_depth", (("queue", "crm"),))] == 3
    finally:
        client.delete(key)
    assert scrape("localhost")[("crm_celery_queue_depth", (("queue", "crm"),))] == 0


def test_the_queue_depth_is_left_out_without_redis(db, settings):
    settings.REDIS_URL = ""
    assert not any(name == "crm_celery_queue_depth" for name, _ in scrape("localhost"))


# --- websockets ---

def _open_connections() -> float:
    return REGISTRY.get_sample_value("crm_websocket_connections")


def test_the_websocket_gauge_follows_connect_and_disconnect(committed):
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        user = get_user_model().objects.get(email="admin@acme.example")
    scope = {"type": "websocket", "path": "/ws/notifications/", "headers": [],
             "query_string": b"", "subprotocols": [], "tenant": tenant, "user": user,
             "session_key": "observability-test"}

    async def scenario():
        before = _open_connections()
        socket = ApplicationCommunicator(NotificationConsumer.as_asgi(), scope)
        await socket.send_input({"type": "websocket.connect"})
        assert (await socket.receive_output(5))["type"] == "websocket.accept"
        hello = json.loads((await socket.receive_output(5))["text"])
        assert hello["type"] == "hello"
        opened = _open_connections()
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        await socket.wait(5)
        return before, opened, _open_connections()

    before, opened, closed = asyncio.run(scenario())
    assert opened == before + 1
    assert closed == before


# --- readiness ---

def test_readiness_is_ready_with_postgresql_and_redis(db):
    response = host_client("localhost").get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readiness_answers_503_naming_redis_when_redis_is_down(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = host_client("acme.localhost").get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error: ")
