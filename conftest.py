"""pytest set-up: the shared test world and the fixture modules (settings: tests/settings.py)."""

import pytest

pytest_plugins = [
    "tests.fixtures.world", "tests.fixtures.servers", "tests.fixtures.workers",
    "tests.fixtures.browser", "tests.fixtures.fake_stripe",
]


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop in the test thread
    for the rest of the session, and tests that drive asyncio themselves need the thread free."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """The test database (public schema and template, migrated once) plus two tenants.

    pytest-django creates the test database only when a collected test asks for ``db``;
    tests that work outside a transaction (fixture ``committed``: servers and workers in
    other processes must see their rows) need it all the same.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from tests.fixtures.world import build_world

    created = None
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            keepdb = request.config.getoption("reuse_db") and not request.config.getoption(
                "create_db")
            created = setup_databases(verbosity=0, interactive=False, keepdb=keepdb,
                                      aliases={"default"})
        build_world()
    yield
    from tests.fixtures.servers import wait_for_other_sessions_to_end

    # Servers and workers started by tests have gone; a connection one of them left behind
    # must not keep the test database from being dropped.
    wait_for_other_sessions_to_end(django_db_blocker, timeout=3.0, terminate=True)
    if created is not None:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0, keepdb=keepdb)
