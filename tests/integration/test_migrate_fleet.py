"""migrate_fleet: only schemas that are behind are migrated; failures are recorded and resumed.

A schema is put behind by deleting a leaf row of its django_migrations: the tenants app's own
leaf (its operations only touch public, so re-applying it in a tenant schema is safe), or, to
make a schema fail, a leaf that creates a table the schema already has. Every test puts the
rows back; the template schema is shared by the whole run and only read here, except where
a test says otherwise and migrates it back.
"""

import io
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors.base import run_migrations

from tenants import fleet
from tenants.models import SchemaMigrationStatus
from tenants.template import TEMPLATE_SCHEMA

State = SchemaMigrationStatus.State


def leaf(app_label: str) -> tuple[str, str]:
    [node] = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(app_label)
    return node


# Shared-only app: in a tenant schema its operations are routed away, so re-applying is a no-op.
HARMLESS = leaf("tenants")
# Creates a table every tenant schema already has: re-applying it fails.
BREAKING = leaf("thumbnail")


def forget(schema: str, migration: tuple[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s',
                       list(migration))


def restore(schema: str, migration: tuple[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{schema}".django_migrations (app, name, applied) '
            f"SELECT %s, %s, now() WHERE NOT EXISTS (SELECT 1 FROM \"{schema}\".django_migrations "
            f"WHERE app = %s AND name = %s)", [*migration, *migration])


def recorded(schema: str, migration: tuple[str, str]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{schema}".django_migrations WHERE app = %s AND name = %s',
                       list(migration))
        return cursor.fetchone() is not None


@pytest.fixture
def fleet_world(committed):
    """The committed world (outside any test transaction: migrate commits) with no status
    rows; whatever a test forgets is put back."""
    SchemaMigrationStatus.objects.all().delete()
    yield
    connection.set_schema_to_public()
    for schema in ("acme", "globex", TEMPLATE_SCHEMA):
        for migration in (HARMLESS, BREAKING):
            restore(schema, migration)
    SchemaMigrationStatus.objects.all().delete()


@pytest.fixture
def counted_migrate():
    with mock.patch("tenants.fleet.run_migrations", wraps=run_migrations) as spy:
        yield spy


def migrated_schemas(spy) -> list[str]:
    return [call.args[3] for call in spy.call_args_list]


def test_nothing_to_apply_runs_no_migrate_and_records_every_schema_done(
        fleet_world, counted_migrate):
    result = fleet.migrate_fleet(workers=1)

    assert counted_migrate.call_count == 0
    assert result.migrated == []
    assert result.failed == {}
    schemas = {plan.schema for plan in result.plans}
    assert {"public", TEMPLATE_SCHEMA, "acme", "globex"} <= schemas
    assert result.skipped == len(schemas)
    states = dict(SchemaMigrationStatus.objects.values_list("schema_name", "state"))
    assert all(states[schema] == State.DONE for schema in schemas)


def test_only_the_schema_behind_is_migrated(fleet_world, counted_migrate):
    forget("globex", HARMLESS)
    dry = io.StringIO()
    call_command("migrate_fleet", "--dry-run", stdout=dry)
    assert "globex: 1 migration(s) to apply" in dry.getvalue()
    assert "acme:" not in dry.getvalue()
    assert counted_migrate.call_count == 0  # a dry run changes nothing
    assert not recorded("globex", HARMLESS)

    result = fleet.migrate_fleet(workers=1)

    assert migrated_schemas(counted_migrate) == ["globex"]
    assert result.migrated == ["globex"]
    assert recorded("globex", HARMLESS)
    status = SchemaMigrationStatus.objects.get(schema_name="globex")
    assert status.state == State.DONE
    assert status.started is not None
    assert status.finished is not None
    assert status.target == fleet.migration_target()


def test_a_failing_schema_is_recorded_and_the_others_still_migrate(fleet_world):
    forget("acme", HARMLESS)
    forget("globex", HARMLESS)
    forget("globex", BREAKING)  # re-creating an existing table fails
    err = io.StringIO()

    with pytest.raises(CommandError, match="Failed schemas: globex"):
        call_command("migrate_fleet", "--workers=2", stdout=io.StringIO(), stderr=err)

    assert "globex" in err.getvalue()
    connection.set_schema_to_public()
    acme_status = SchemaMigrationStatus.objects.get(schema_name="acme")
    globex_status = SchemaMigrationStatus.objects.get(schema_name="globex")
    assert acme_status.state == State.DONE
    assert recorded("acme", HARMLESS)
    assert globex_status.state == State.FAILED
    assert "already exists" in globex_status.error
    assert globex_status.finished is not None
    # Each migration is atomic: the failed one left no half-applied trace.
    assert not recorded("globex", BREAKING)


def test_a_rerun_retries_only_failed_and_unfinished_schemas(fleet_world, counted_migrate):
    forget("globex", BREAKING)
    result = fleet.migrate_fleet(workers=1)
    assert result.failed.keys() == {"globex"}
    assert migrated_schemas(counted_migrate) == ["globex"]

    # The operator repairs globex; acme was interrupted by a crash earlier (left "running").
    restore("globex", BREAKING)
    SchemaMigrationStatus.objects.filter(schema_name="acme").update(state=State.RUNNING)
    counted_migrate.reset_mock()

    result = fleet.migrate_fleet(workers=1)

    assert sorted(migrated_schemas(counted_migrate)) == ["acme", "globex"]
    assert result.failed == {}
    assert set(SchemaMigrationStatus.objects.values_list("state", flat=True)) == {State.DONE}

    counted_migrate.reset_mock()
    fleet.migrate_fleet(workers=1)
    assert counted_migrate.call_count == 0  # all done: the third run touches nothing


def test_the_template_is_migrated_first_and_refreshed(fleet_world, counted_migrate):
    forget(TEMPLATE_SCHEMA, HARMLESS)
    forget("acme", HARMLESS)
    with mock.patch("tenants.fleet.refresh_template") as refresh:
        result = fleet.migrate_fleet(workers=1)

    assert migrated_schemas(counted_migrate) == [TEMPLATE_SCHEMA, "acme"]
    assert result.failed == {}
    assert recorded(TEMPLATE_SCHEMA, HARMLESS)
    refresh.assert_called_once()


def test_bad_worker_count_is_refused(fleet_world):
    with pytest.raises(CommandError):
        call_command("migrate_fleet", "--workers=0")
