"""Production settings and the container image: deploy checks, HTTPS, headers, refusals."""

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings

from tests.fixtures.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BASE_DOMAIN = "crm.example.com"
ENTRYPOINT = ROOT / "scripts" / "container-entrypoint.sh"


def database_url() -> str:
    """The URL of the database server the tests use (the deploy checks never query it)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    db = settings.DATABASES["default"]
    host = quote(db.get("HOST") or "127.0.0.1", safe="")
    return f"postgres://{db.get('USER') or 'postgres'}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def production_environment(**overrides) -> dict:
    # A clean environment, as a container gets: nothing inherited from the test run's settings.
    environment = {key: os.environ[key] for key in ("HOME", "LANG", "TMPDIR") if key in os.environ}
    environment.update({
        "DJANGO_SETTINGS_MODULE": "core.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": f"{BASE_DOMAIN},.{BASE_DOMAIN}",
        "BASE_DOMAIN": BASE_DOMAIN,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL") or settings.REDIS_URL,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
    })
    for key, value in overrides.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return environment


def run_python(code: str, **overrides) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, capture_output=True, text=True,
        env=production_environment(**overrides), timeout=120, check=False,
    )


# Requests through Django's test client in a process of its own, on the production settings.
PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

client = Client()
host = "acme.crm.example.com"
plain = client.get("/app/", HTTP_HOST=host)
secure = client.get("/healthz", HTTP_HOST=host, secure=True)
proxied = client.get("/healthz", HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
probe = client.get("/healthz", HTTP_HOST=host)
scrape = client.get("/metrics", HTTP_HOST=host)
# Kubelets and Prometheus address the pod by IP; the Ingress adds X-Forwarded-For.
pod = "10.42.0.17:8000"
pod_probe = client.get("/healthz", HTTP_HOST=pod)
pod_scrape = client.get("/metrics", HTTP_HOST=pod)
through_ingress = client.get("/metrics", HTTP_HOST=host, HTTP_X_FORWARDED_FOR="203.0.113.9",
                             HTTP_X_FORWARDED_PROTO="https")
pod_page = client.get("/app/", HTTP_HOST=pod, HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "scrape": scrape.status_code, "log_format": settings.LOG_FORMAT,
    "pod": [pod_probe.status_code, pod_scrape.status_code, b"crm_http" in pod_scrape.content],
    "through_ingress": [through_ingress.status_code, b"crm_http" in through_ingress.content],
    "pod_page": pod_page.status_code,
    "plain": [plain.status_code, plain.headers.get("Location")],
    "secure_headers": dict(secure.headers),
    "proxied": [proxied.status_code, proxied.headers.get("Strict-Transport-Security")],
    "probe": probe.status_code,
    "settings": {name: getattr(settings, name) for name in [
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_DOMAIN",
        "CSRF_COOKIE_DOMAIN", "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS",
        "SESSION_COOKIE_NAME", "ALLOWED_HOSTS"]},
}))
"""


@pytest.fixture(scope="module")
def probe() -> dict:
    # DEBUG=true in the environment must not switch production into debug mode.
    result = run_python(PROBE, DEBUG="true")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_checks_pass_without_a_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, env=production_environment(), timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output.upper()


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "dev-only-insecure-secret-key-change-me-in-production", "short-but-random-Xq9"],
    ids=["missing", "empty", "development-default", "too-short"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    result = run_python("import django; django.setup()", SECRET_KEY=secret_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_database_url():
    # Without it the development settings would start an embedded PostgreSQL.
    result = run_python("import django; django.setup()", DATABASE_URL=None)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_plain_http_is_redirected_to_https(probe):
    status, location = probe["plain"]
    assert status == 301
    assert location == "https://acme.crm.example.com/app/"


def test_the_proxy_saying_https_is_trusted(probe):
    status, hsts = probe["proxied"]
    assert status == 200
    assert hsts == "max-age=31536000; includeSubDomains; preload"


def test_health_probe_answers_over_plain_http(probe):
    assert probe["probe"] == 200


def test_metrics_answer_the_scraper_over_plain_http_and_logs_are_json(probe):
    assert probe["scrape"] == 200
    # The pod's own address is no allowed host, yet probes and scrapes get their answer...
    assert probe["pod"] == [200, 200, True]
    # ...while every other page on it is refused, and the figures (which name tenants) are
    # not for anyone coming in through the Ingress without the token.
    assert probe["pod_page"] in (400, 404)
    assert probe["through_ingress"] == [404, False]
    assert probe["log_format"] == "json"


def test_secure_responses_carry_hsts_csp_and_friends(probe):
    headers = probe["secure_headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = dict(
        (directive.split(" ", 1) + [""])[:2]
        for directive in (part.strip() for part in headers["Content-Security-Policy"].split(";"))
    )
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'"
    assert policy["base-uri"] == "'self'"
    # Scripts only from our own origin: no CDN, no wildcard.
    assert set(policy["script-src"].split()) == {"'self'", "'unsafe-inline'"}
    assert "wss://*.crm.example.com" in policy["connect-src"].split()


def test_cookies_are_secure_and_host_only_and_debug_is_off(probe):
    values = probe["settings"]
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_DOMAIN"] is None
    assert values["CSRF_COOKIE_DOMAIN"] is None
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["ALLOWED_HOSTS"] == [BASE_DOMAIN, f".{BASE_DOMAIN}"]
    assert "https://*.crm.example.com" in values["CSRF_TRUSTED_ORIGINS"]
    assert "https://crm.example.com" in values["CSRF_TRUSTED_ORIGINS"]
    assert not any(origin.startswith("http:") for origin in values["CSRF_TRUSTED_ORIGINS"])


def test_development_settings_stay_as_they_were():
    # The test run itself uses core.settings: no CSP app, no HTTPS redirect.
    assert "csp" not in settings.INSTALLED_APPS
    assert not settings.SECURE_SSL_REDIRECT
    assert not settings.SESSION_COOKIE_SECURE


# --- The container image ---


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for raw_line in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw_line.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


KNOWN_INSTRUCTIONS = {"FROM", "ARG", "ENV", "RUN", "COPY", "ADD", "WORKDIR", "USER", "EXPOSE",
                      "VOLUME", "HEALTHCHECK", "ENTRYPOINT", "CMD", "LABEL", "STOPSIGNAL", "SHELL"}


def stages() -> list[list[tuple[str, str]]]:
    found = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, arguments))
    return found


def test_dockerfile_parses_and_is_multi_stage():
    instructions = dockerfile_instructions()
    assert {keyword for keyword, _ in instructions} <= KNOWN_INSTRUCTIONS
    for keyword, arguments in instructions:
        if keyword in {"ENTRYPOINT", "CMD"} or (keyword == "HEALTHCHECK" and "[" in arguments):
            exec_form = arguments[arguments.index("["):]
            assert isinstance(json.loads(exec_form), list), arguments
    names = [arguments.split() for keyword, arguments in instructions if keyword == "FROM"]
    assert len(names) >= 3
    defaults = dict(arguments.split("=", 1) for keyword, arguments in instructions
                    if keyword == "ARG" and "=" in arguments)
    runtime_base = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], names[-1][0])
    assert runtime_base == "python:3.11-slim"
    builder_steps = " ".join(arguments for stage in stages()[:-1] for _, arguments in stage)
    assert "pyproject.toml" in builder_steps
    assert "npm ci" in builder_steps
    assert "package-lock.json" in builder_steps
    assert "collectstatic" in builder_steps


def test_image_runs_as_a_non_root_user():
    runtime = stages()[-1]
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage never leaves root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    created = " ".join(arguments for keyword, arguments in runtime if keyword == "RUN")
    assert "useradd" in created
    assert user in created
    # Nothing after USER switches back or installs as root.
    after = runtime[max(i for i, (k, _) in enumerate(runtime) if k == "USER"):]
    assert not any(keyword == "RUN" for keyword, _ in after)


def test_image_has_a_healthcheck_on_healthz():
    runtime = stages()[-1]
    checks = [arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    command = json.loads(checks[0][checks[0].index("["):])
    assert command == ["/app/scripts/container-entrypoint.sh", "healthcheck"]
    script = ENTRYPOINT.read_text()
    healthcheck = script[script.index("    healthcheck)"):]
    assert "/healthz" in healthcheck.split(";;")[0]
    entrypoint = [json.loads(arguments) for keyword, arguments in runtime
                  if keyword == "ENTRYPOINT"]
    assert entrypoint == [["/app/scripts/container-entrypoint.sh"]]


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".env", ".venv", ".data", "node_modules"} <= ignored


def test_entrypoint_is_valid_shell_and_knows_every_role():
    assert os.access(ENTRYPOINT, os.X_OK)
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True)
    script = ENTRYPOINT.read_text()
    for role in ("web)", "worker)", "beat)", "migrate)", "manage)", "healthcheck)"):
        assert f"    {role}" in script
    web = script[script.index("    web)"):].split(";;")[0]
    assert "uvicorn core.asgi:application" in web
    assert "--workers" in web


def test_entrypoint_usage_error_without_a_manage_command():
    result = subprocess.run(["sh", str(ENTRYPOINT), "manage"], capture_output=True, text=True,
                            check=False, env=production_environment())
    assert result.returncode == 64
    assert "usage" in result.stderr


def test_entrypoint_runs_the_deploy_checks_through_manage():
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "manage", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True, text=True, check=False, env=production_environment(), timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def port_answers(port: int) -> bool:
    import socket

    with socket.socket() as probe_socket:
        probe_socket.settimeout(1)
        return probe_socket.connect_ex(("127.0.0.1", port)) == 0


def test_web_role_serves_health_over_http_and_redirects_the_rest(tmp_path):
    port = free_port()
    environment = production_environment(
        PORT=str(port), WEB_CONCURRENCY="1", MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    server = subprocess.Popen(["sh", str(ENTRYPOINT), "web"], env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            # Until the shell has exec'd uvicorn, the check sees no web process and passes
            # (as in a worker's container): wait for the port as well.
            health = subprocess.run(["sh", str(ENTRYPOINT), "healthcheck"], env=environment,
                                    capture_output=True, text=True, check=False)
            if health.returncode == 0 and port_answers(port) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert health.returncode == 0, health.stderr
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            plain = client.get("/app/", headers={"Host": f"acme.{BASE_DOMAIN}"})
            assert plain.status_code == 301
            assert plain.headers["location"] == f"https://acme.{BASE_DOMAIN}/app/"
            probe = client.get("/healthz", headers={"Host": BASE_DOMAIN})
            assert probe.status_code == 200
            assert "server" not in probe.headers  # uvicorn's banner is off
            pod = client.get("/healthz", headers={"Host": "10.42.0.17:8000"})
            assert pod.status_code == 200  # a kubelet's probe of the pod's address
            stranger = client.get("/app/", headers={"Host": "evil.example"})
            assert stranger.status_code == 400
        # A web process that does not answer on its port is unhealthy.
        elsewhere = subprocess.run(["sh", str(ENTRYPOINT), "healthcheck"],
                                   env=dict(environment, PORT=str(free_port())),
                                   capture_output=True, text=True, check=False)
        assert elsewhere.returncode != 0
        assert "unhealthy" in elsewhere.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
