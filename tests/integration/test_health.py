"""Liveness and readiness on every host, known or not."""

import pytest

from tests.fixtures.world import host_client


@pytest.mark.parametrize("host", ["localhost", "acme.localhost", "10.0.0.7"])
def test_probes_answer_on_any_host(db, host, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client = host_client(host)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok"
    assert ready["checks"]["database"] == "ok"
