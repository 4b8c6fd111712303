"""One pooled connection serving two tenants in turn never shows one tenant's rows to the other."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from crm_apps.customers.models import Contact
from tests.fixtures.servers import start_server, wait_for_other_sessions_to_end
from tests.fixtures.world import admin_token

MARKERS = {"acme": "Pooled-Acme-Only", "globex": "Pooled-Globex-Only"}


@pytest.fixture
def single_connection_server(committed, django_db_blocker):
    """uvicorn whose pool holds exactly one connection, so every request shares it.

    The project's settings, not tests.settings: that module switches the pool off for the test
    process, and a server loading it would inherit the switch. The test defaults it sets are
    in the environment the server inherits all the same."""
    server = start_server({"DJANGO_SETTINGS_MODULE": "core.settings", "DB_POOL": "true",
                           "DB_POOL_MIN": "1", "DB_POOL_MAX": "1"})
    yield server
    server.process.terminate()
    server.process.wait(10)
    wait_for_other_sessions_to_end(django_db_blocker)


@pytest.fixture
def marked_contacts(committed):
    """One committed contact per tenant with a name only that tenant has."""
    from tenants.models import Tenant

    tenants = {slug: Tenant.objects.get(slug=slug) for slug in MARKERS}
    for slug, marker in MARKERS.items():
        with tenant_context(tenants[slug]):
            Contact.objects.create(first_name=marker, last_name=slug)
    yield tenants
    for slug, marker in MARKERS.items():
        with tenant_context(tenants[slug]):
            Contact.objects.filter(first_name=marker).delete()


def server_backends() -> list[int]:
    """Process ids of the database sessions other than the test's own: the server's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return [row[0] for row in cursor.fetchall()]


def test_interleaved_tenants_over_one_pooled_connection_see_only_their_rows(
        single_connection_server, marked_contacts):
    tokens = {slug: admin_token(tenant) for slug, tenant in marked_contacts.items()}
    clients = {slug: single_connection_server.client(tenant.hostname)
               for slug, tenant in marked_contacts.items()}

    def list_contacts(slug: str) -> tuple[str, int, set[str]]:
        response = clients[slug].get(
            "/api/v1/contacts/",
            headers={"Authorization": f"Token {tokens[slug]}"})
        names = {row["first_name"] for row in response.json()["results"]}
        return slug, response.status_code, names

    list_contacts("acme")  # Django opens the pool with the first request
    before = server_backends()
    try:
        # Strictly alternating first, then four threads queueing on the one connection.
        sequential = [list_contacts(slug) for slug in ["acme", "globex"] * 50]
        with ThreadPoolExecutor(max_workers=4) as pool:
            concurrent = list(pool.map(list_contacts, ["acme", "globex"] * 50))
    finally:
        for client in clients.values():
            client.close()

    results = sequential + concurrent
    assert len(results) == 200
    for slug, status, names in results:
        other = "globex" if slug == "acme" else "acme"
        assert status == 200
        assert MARKERS[slug] in names, (slug, names)
        assert MARKERS[other] not in names, (slug, names)
    # The server really served all 200 on one connection, the same one throughout.
    assert len(before) == 1
    assert server_backends() == before
