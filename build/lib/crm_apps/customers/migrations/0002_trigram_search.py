"""Trigram indexes for substring search (Chinese names included), where pg_trgm exists."""

from django.db import migrations

INDEXES = [
    ("customers_account", "account_name_trgm", "name"),
    ("customers_contact", "contact_first_name_trgm", "first_name"),
    ("customers_contact", "contact_last_name_trgm", "last_name"),
    ("customers_contact", "contact_email_trgm", "email"),
]


def has_trigram(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    return cursor.fetchone() is not None


def create(apps, schema_editor):
    # PostgreSQL without the contrib extensions (the embedded development server) searches
    # the same way, only without the index.
    with schema_editor.connection.cursor() as cursor:
        if not has_trigram(cursor):
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        for table, name, column in INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                           f"USING gin ({column} public.gin_trgm_ops)")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for _table, name, _column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
