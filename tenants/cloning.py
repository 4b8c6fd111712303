"""Copying the template schema with django-tenants' clone function, then mending what it skips."""

from django.db import connection
from django_tenants.clone import CloneSchema

from tenants.template import TEMPLATE_SCHEMA

_CLONE_FUNCTION_LOCK = 7_301_001  # advisory lock id: one installer at a time


def install_clone_function() -> None:
    """Install the SQL clone function once; reinstalling drops a type other clones depend on."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLONE_FUNCTION_LOCK])
        cursor.execute("SELECT to_regproc('public.clone_schema') IS NOT NULL")
        if not cursor.fetchone()[0]:
            CloneSchema()._create_clone_schema_function()


def clone_template(schema: str) -> None:
    """Create ``schema`` as a copy of the template: tables, rows, sequences, constraints."""
    connection.set_schema_to_public()
    install_clone_function()
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [TEMPLATE_SCHEMA, schema])
    restore_unique_constraint_names(schema)
    restore_sequence_names(schema)


def restore_unique_constraint_names(schema: str) -> int:
    """Give unique constraints the template's names (the clone leaves PostgreSQL's defaults).

    Migrations drop and alter constraints by name, so a tenant with other names than the
    template would fail the next migration that touches one of them.
    """
    sql = """
        SELECT t.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
        WHERE k.connamespace = %s::regnamespace AND k.contype = 'u'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [f'"{TEMPLATE_SCHEMA}"'])
        wanted = {(rel, definition): name for rel, name, definition in cursor.fetchall()}
        cursor.execute(sql, [f'"{schema}"'])
        renamed = 0
        for rel, name, definition in cursor.fetchall():
            target = wanted.get((rel, definition))
            if target and target != name:
                cursor.execute(
                    f'ALTER TABLE "{schema}"."{rel}" RENAME CONSTRAINT "{name}" TO "{target}"'
                )
                renamed += 1
    return renamed


_OWNED_SEQUENCES = """
    SELECT t.relname, a.attname, s.relname
    FROM pg_class s
    JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                    AND d.refclassid = 'pg_class'::regclass
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE s.relkind = 'S' AND s.relnamespace = %s::regnamespace
"""


def restore_sequence_names(schema: str) -> int:
    """Give identity sequences the template's names.

    A table renamed by a migration keeps its old sequence name in the template, while the
    clone makes a fresh one named after the new table; keep them identical.
    """
    with connection.cursor() as cursor:
        cursor.execute(_OWNED_SEQUENCES, [f'"{TEMPLATE_SCHEMA}"'])
        wanted = {(table, column): seq for table, column, seq in cursor.fetchall()}
        cursor.execute(_OWNED_SEQUENCES, [f'"{schema}"'])
        renamed = 0
        for table, column, seq in cursor.fetchall():
            target = wanted.get((table, column))
            if target and target != seq:
                cursor.execute(f'ALTER SEQUENCE "{schema}"."{seq}" RENAME TO "{target}"')
                renamed += 1
    return renamed
