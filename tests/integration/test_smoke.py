"""Smoke: the world exists and each tenant host serves its own home page."""

from tests.fixtures.world import host_client


def test_tenant_home_pages(acme, globex):
    assert b"Acme Corporation" in host_client(acme.host).get("/").content
    assert "Globex 环球".encode() in host_client(globex.host).get("/").content
