"""pytest set-up: the shared test world and the fixture modules (settings: tests/settings.py)."""

import pytest

pytest_plugins = ["tests.fixtures.world", "tests.fixtures.servers", "tests.fixtures.browser"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database (public schema and template, migrated once) plus two tenants."""
    from tests.fixtures.world import build_world

    with django_db_blocker.unblock():
        build_world()
    return
