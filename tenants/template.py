"""The template schema every tenant is cloned from: kept migrated, seeded, and checked."""

import hashlib
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context, schema_exists

from tenants import hooks

TEMPLATE_SCHEMA = settings.TENANT_TEMPLATE_SCHEMA


class TemplateOutOfDate(RuntimeError):
    """The template lacks migrations the code has: cloning it would make a broken tenant."""


class SchemaMismatch(RuntimeError):
    """A new tenant schema differs from the template it was cloned from."""


@lru_cache(maxsize=1)
def expected_migrations() -> frozenset:
    """Every migration the code defines; a tenant schema records them all."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def applied_migrations(schema: str) -> frozenset:
    with connection.cursor() as cursor:
        # Schema names are ours (validated slugs, _template, _spare_*), never request input.
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        return frozenset(cursor.fetchall())


def fingerprint(migrations: frozenset) -> str:
    return hashlib.sha256(repr(sorted(migrations)).encode()).hexdigest()


def template_fingerprint() -> str:
    return fingerprint(applied_migrations(TEMPLATE_SCHEMA))


def ensure_template_current() -> str:
    """Return the template's fingerprint, or raise if it is missing or behind the code."""
    if not schema_exists(TEMPLATE_SCHEMA):
        raise TemplateOutOfDate("The template schema does not exist: run migrate_schemas.")
    applied = applied_migrations(TEMPLATE_SCHEMA)
    missing = expected_migrations() - applied
    if missing:
        raise TemplateOutOfDate(
            f"The template schema lacks {len(missing)} migration(s), e.g. "
            f"{sorted(missing)[:3]}: run migrate_schemas."
        )
    return fingerprint(applied)


def create_template_schema() -> None:
    if not schema_exists(TEMPLATE_SCHEMA):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')


def seed_template() -> None:
    with schema_context(TEMPLATE_SCHEMA):
        hooks.seed_template()


_SHAPE_QUERIES = {
    "relations": """
        SELECT c.relname, c.relkind FROM pg_class c
        WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i')
        {only_named}
    """,
    "constraints": """
        SELECT c.relname, k.conname, k.contype FROM pg_class c
        JOIN pg_constraint k ON k.conrelid = c.oid
        WHERE c.relnamespace = %s::regnamespace {only_named}
    """,
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p')
          AND a.attnum > 0 AND NOT a.attisdropped {only_named}
    """,
}
# pg_class has no index on the schema alone: a query by schema reads the whole catalogue, which
# grows with the fleet (1,432 relations per tenant). Naming the relations uses the index on
# (relname, relnamespace) instead.
_ONLY_NAMED = "AND c.relname = ANY(%s)"


def schema_shape(schema: str, relations: frozenset[str] | None = None) -> dict:
    """Relations, constraints, columns and migrations of a schema, for comparison; with
    ``relations``, of those relations only (found through the catalogue's index)."""
    shape = {}
    only_named = _ONLY_NAMED if relations is not None else ""
    parameters = [f'"{schema}"'] + ([sorted(relations)] if relations is not None else [])
    with connection.cursor() as cursor:
        for name, sql in _SHAPE_QUERIES.items():
            cursor.execute(sql.format(only_named=only_named), parameters)
            shape[name] = frozenset(cursor.fetchall())
    shape["migrations"] = applied_migrations(schema)
    return shape


@lru_cache(maxsize=1)
def _template_shape_at(fingerprint_of_migrations: str) -> dict:
    return schema_shape(TEMPLATE_SCHEMA)


def template_shape() -> dict:
    """The template's shape, read again only when its migrations change (nothing else changes
    its structure), since reading it scans the whole catalogue."""
    return _template_shape_at(template_fingerprint())


def verify_matches_template(schema: str) -> None:
    """Raise SchemaMismatch unless ``schema`` has the template's structure and migrations.

    The copy is read for the template's relations only, so its cost does not grow with the
    fleet; a copy of the template cannot hold relations the template lacks.
    """
    expected = template_shape()
    relations = frozenset(relname for relname, _kind in expected["relations"])
    actual = schema_shape(schema, relations)
    problems = []
    for part in expected:
        missing, extra = expected[part] - actual[part], actual[part] - expected[part]
        if missing or extra:
            problems.append(
                f"{part}: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}")
    if problems:
        raise SchemaMismatch(f"Schema {schema} differs from the template: " + "; ".join(problems))
