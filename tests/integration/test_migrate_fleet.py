"""migrate_fleet: only schemas that are behind are migrated; failures are recorded and resumed.

A schema is put behind by deleting a leaf row of its django_migrations: the tenants app's own
leaf (its operations only touch public, so re-applying it in a tenant schema is safe), or, to
make a schema fail, a leaf that creates a table the schema already has. Every test puts the
rows back; the template schema is shared by the whole run and only read here, except where
a test says otherwise and migrates it back.
"""

import io
import threading
from unittest import mock

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import CaptureQueriesContext
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


def test_bootstrap_the_release_step_migrates_only_the_schemas_behind(fleet_world,
                                                                    counted_migrate):
    """The image's migrate role (and the Helm hook Job) runs bootstrap: it must take the
    fleet path, not migrate_schemas over every schema."""
    forget("acme", HARMLESS)
    out = io.StringIO()
    with mock.patch("tenants.management.commands.migrate_schemas.Command.handle") \
            as migrate_schemas:
        call_command("bootstrap", "--no-pool", stdout=out)

    migrate_schemas.assert_not_called()
    assert migrated_schemas(counted_migrate) == ["acme"]
    assert recorded("acme", HARMLESS)
    assert "Migrated 1 schema(s)" in out.getvalue()


def test_a_second_fleet_migration_waits_for_the_first_or_fails_fast(fleet_world):
    holder = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", [fleet._FLEET_LOCK])
        with pytest.raises(CommandError, match="Another fleet migration is running"):
            call_command("migrate_fleet", "--no-wait", stdout=io.StringIO())

        out = io.StringIO()
        waiting = threading.Thread(
            target=call_command, args=("migrate_fleet", "--workers=1"),
            kwargs={"stdout": out}, daemon=True)
        waiting.start()
        waiting.join(timeout=3)
        assert waiting.is_alive()  # blocked behind the running one
        assert "waiting for it to finish" in out.getvalue()
        assert not SchemaMigrationStatus.objects.exists()  # nothing planned or recorded yet
    finally:
        holder.close()  # the first run ends
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert "Migrated 0 schema(s)" in out.getvalue()


def test_migrating_a_schema_never_lists_the_whole_catalogue(fleet_world):
    """Listing tables reads all of pg_class (1,432 rows per tenant); the fleet looks
    django_migrations up by name instead."""
    forget("acme", HARMLESS)
    with CaptureQueriesContext(connection) as queries:
        result = fleet.migrate_fleet(workers=1)
    assert result.migrated == ["acme"]
    assert recorded("acme", HARMLESS)
    sql = [query["sql"] for query in queries.captured_queries]
    assert any("to_regclass" in statement for statement in sql)
    assert not any("pg_table_is_visible" in statement for statement in sql)
    # Django's own lookup is back once the run is over.
    assert MigrationRecorder.has_table is not fleet._has_migrations_table_by_name


def test_the_migrations_table_lookup_sees_only_the_schema_itself(fleet_world):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "fleet_not_migrated"')
    try:
        connection.set_schema("fleet_not_migrated")  # public (which has the table) is on the path
        assert fleet._has_migrations_table_by_name(MigrationRecorder(connection)) is False
        connection.set_schema("acme")
        assert fleet._has_migrations_table_by_name(MigrationRecorder(connection)) is True
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA "fleet_not_migrated"')
