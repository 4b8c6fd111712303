"""The Helm chart renders what production needs: roles, hooks, wildcard ingress, hardened pods."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
HELM = shutil.which("helm") or str(ROOT / ".data" / "tools" / "bin" / "helm")

pytestmark = pytest.mark.skipif(
    not Path(HELM).is_file(), reason="helm is not installed: `make helm-check` installs it"
)


def render(*args):
    """The chart's manifests as {(kind, name): manifest}."""
    output = subprocess.run(
        [HELM, "template", "crm", str(CHART), "--namespace", "crm", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    documents = [doc for doc in yaml.safe_load_all(output) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}


def pod_specs(manifests):
    return {
        name: doc["spec"]["template"]["spec"]
        for (kind, name), doc in manifests.items()
        if kind in ("Deployment", "Job")
    }


def env_of(container):
    return {item["name"]: item for item in container.get("env", [])}


@pytest.fixture(scope="module")
def default():
    return render()


@pytest.fixture(scope="module")
def production():
    return render("-f", str(PRODUCTION_VALUES))


def test_each_role_runs_the_one_image_with_its_entrypoint_argument(default):
    roles = {
        name: spec["containers"][0]["args"] for name, spec in pod_specs(default).items()
    }
    assert roles == {
        "crm-web": ["web"], "crm-worker": ["worker"], "crm-beat": ["beat"],
        "crm-migrate": ["migrate"],
    }
    images = {spec["containers"][0]["image"] for spec in pod_specs(default).values()}
    assert len(images) == 1


def test_beat_is_a_single_replica_replaced_with_recreate(production):
    beat = production[("Deployment", "crm-beat")]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    assert ("HorizontalPodAutoscaler", "crm-beat") not in production
    container = production[("Deployment", "crm-beat")]["spec"]["template"]["spec"]["containers"][0]
    # The schedule file is written on a read-only root: it must land on the writable /tmp.
    schedule = env_of(container)["CELERY_BEAT_SCHEDULE_FILENAME"]["value"]
    assert schedule.startswith("/tmp/")


def test_migrations_run_as_a_hook_after_the_configuration_it_reads(default):
    job = default[("Job", "crm-migrate")]
    hooks = job["metadata"]["annotations"]
    assert hooks["helm.sh/hook"] == "pre-install,pre-upgrade"
    for kind in ("ConfigMap", "Secret"):
        config = default[(kind, "crm")]["metadata"]["annotations"]
        assert config["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(config["helm.sh/hook-weight"]) < int(hooks["helm.sh/hook-weight"])
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_ingress_routes_the_base_domain_and_every_tenant_subdomain_over_tls(production):
    ingress = production[("Ingress", "crm")]["spec"]
    hosts = [rule["host"] for rule in ingress["rules"]]
    assert hosts == ["crm.example.com", "*.crm.example.com"]
    assert ingress["tls"] == [{"secretName": "crm-wildcard-tls", "hosts": hosts}]
    backends = {rule["http"]["paths"][0]["backend"]["service"]["name"] for rule in ingress["rules"]}
    assert backends == {"crm-web"}
    assert production[("Service", "crm-web")]["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("values", ["default", "production"])
def test_every_pod_is_locked_down_with_a_writable_tmp(values, request):
    for name, spec in pod_specs(request.getfixturevalue(values)).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        (container,) = spec["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert "emptyDir" in volumes["tmp"], name
        assert container["resources"]["requests"], name


def test_web_probes_send_an_allowed_host_and_pods_are_scraped(default):
    web = default[("Deployment", "crm-web")]["spec"]["template"]
    container = web["spec"]["containers"][0]
    paths = {probe: container[probe]["httpGet"]["path"]
             for probe in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert paths == {"startupProbe": "/healthz", "livenessProbe": "/healthz",
                     "readinessProbe": "/readyz"}
    assert container["readinessProbe"]["httpGet"]["httpHeaders"] == [
        {"name": "Host", "value": "crm.example.com"}]
    annotations = web["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "8000"
    assert annotations["prometheus.io/path"] == "/metrics"


def test_production_autoscales_web_and_workers_on_cpu_with_disruption_budgets(production):
    for role in ("web", "worker"):
        hpa = production[("HorizontalPodAutoscaler", f"crm-{role}")]["spec"]
        assert hpa["scaleTargetRef"]["name"] == f"crm-{role}"
        assert hpa["metrics"][0]["resource"]["name"] == "cpu"
        # The autoscaler owns the replica count; a fixed one would fight it on every upgrade.
        assert "replicas" not in production[("Deployment", f"crm-{role}")]["spec"]
        pdb = production[("PodDisruptionBudget", f"crm-{role}")]["spec"]
        assert pdb["selector"]["matchLabels"]["app.kubernetes.io/component"] == role


def test_existing_secret_replaces_the_charts_secret(production):
    assert not [key for key in production if key[0] == "Secret"]
    for name, spec in pod_specs(production).items():
        env_from = spec["containers"][0]["envFrom"]
        assert {"secretRef": {"name": "crm-secrets"}} in env_from, name


def test_default_secret_has_a_generated_key_and_config_holds_no_secret(default):
    secret = default[("Secret", "crm")]["stringData"]
    assert len(secret["SECRET_KEY"]) == 64
    config = default[("ConfigMap", "crm")]["data"]
    assert config["MEDIA_ROOT"] == "/app/.data/media"
    assert config["ALLOWED_HOSTS"] == "crm.example.com,.crm.example.com"
    assert not {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} & set(config)


def test_database_and_redis_passwords_come_from_their_secrets():
    manifests = render(
        "--set", "postgresql.existingSecret=pg-credentials",
        "--set", "redis.existingSecret=redis-credentials", "--set", "redis.tls=true",
    )
    container = manifests[("Deployment", "crm-worker")]["spec"]["template"]["spec"]["containers"][0]
    env = env_of(container)
    names = list(env)
    assert env["CRM_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "pg-credentials", "key": "password"}
    assert env["DATABASE_URL"]["value"] == (
        "postgres://crm:$(CRM_DATABASE_PASSWORD)@crm-postgresql:5432/crm?sslmode=prefer")
    # The kubelet substitutes $(VAR) only from variables defined earlier in the list.
    assert names.index("CRM_DATABASE_PASSWORD") < names.index("DATABASE_URL")
    assert env["REDIS_URL"]["value"] == "rediss://:$(CRM_REDIS_PASSWORD)@crm-redis-master:6379/0"
    assert names.index("CRM_REDIS_PASSWORD") < names.index("REDIS_URL")


def test_a_metrics_token_goes_into_the_secret_not_the_config():
    manifests = render("--set", "secrets.metricsToken=scrape-secret")
    assert manifests[("Secret", "crm")]["stringData"]["METRICS_TOKEN"] == "scrape-secret"
    assert "METRICS_TOKEN" not in manifests[("ConfigMap", "crm")]["data"]
