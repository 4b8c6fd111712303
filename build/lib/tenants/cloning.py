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


_UNIQUE_CONSTRAINTS = """
    SELECT t.relname, pg_get_constraintdef(k.oid), k.conname
    FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
    WHERE k.connamespace = %s::regnamespace AND k.contype = 'u'
"""

_OWNED_SEQUENCES = """
    SELECT t.relname, a.attname, s.relname
    FROM pg_class s
    JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                    AND d.refclassid = 'pg_class'::regclass
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    WHERE s.relkind = 'S' AND s.relnamespace = %s::regnamespace
"""


def _rename_like_template(schema: str, query: str, rename: str) -> int:
    """Rename objects of ``schema`` to the template's names. ``query`` yields (table, what
    identifies the object on that table, name); ``rename`` is formatted with schema, table,
    name and target."""
    with connection.cursor() as cursor:
        cursor.execute(query, [f'"{TEMPLATE_SCHEMA}"'])
        wanted = {(table, key): name for table, key, name in cursor.fetchall()}
        cursor.execute(query, [f'"{schema}"'])
        renamed = 0
        for table, key, name in cursor.fetchall():
            target = wanted.get((table, key))
            if target and target != name:
                cursor.execute(rename.format(schema=schema, table=table, name=name,
                                             target=target))
                renamed += 1
    return renamed


def restore_unique_constraint_names(schema: str) -> int:
    """Give unique constraints the template's names (the clone leaves PostgreSQL's defaults).

    Migrations drop and alter constraints by name, so a tenant with other names than the
    template would fail the next migration that touches one of them.
    """
    return _rename_like_template(
        schema, _UNIQUE_CONSTRAINTS,
        'ALTER TABLE "{schema}"."{table}" RENAME CONSTRAINT "{name}" TO "{target}"')


def restore_sequence_names(schema: str) -> int:
    """Give identity sequences the template's names.

    A table renamed by a migration keeps its old sequence name in the template, while the
    clone makes a fresh one named after the new table; keep them identical.
    """
    return _rename_like_template(
        schema, _OWNED_SEQUENCES, 'ALTER SEQUENCE "{schema}"."{name}" RENAME TO "{target}"')
