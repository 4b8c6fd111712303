"""Indexes for list search and sorting, on the exact expressions crm_apps.customers.search
compares.

The planner uses an expression index only for an identical expression, so each definition
below repeats one of search.py's (tests/integration/test_search.py checks that they are used).
Trigram (GIN) indexes exist only where pg_trgm does; the btree ones (prefixes of names for
queries too short for trigrams, and the list pages' sort orders) everywhere.
"""

from django.db import migrations

NAMES = ("replace(first_name || last_name || '|' || last_name || first_name, ' ', '')")


def digits(column: str) -> str:
    return f"regexp_replace({column}, '[^0-9]', '', 'g')"


# (table, index name, indexed expression, operator class)
TRIGRAM_INDEXES = [
    ("customers_contact", "contact_names_trgm", NAMES, "public.gin_trgm_ops"),
    ("customers_contact", "contact_phone_digits_trgm", digits("phone"), "public.gin_trgm_ops"),
    ("customers_contact", "contact_mobile_digits_trgm", digits("mobile"), "public.gin_trgm_ops"),
    ("customers_account", "account_domain_trgm", "domain", "public.gin_trgm_ops"),
    ("customers_account", "account_phone_digits_trgm", digits("phone"), "public.gin_trgm_ops"),
]
# (table, index name, what follows USING btree)
BTREE_INDEXES = [
    # Queries of one or two characters have no trigram: they match the start of a contact's
    # name (in either order).
    ("customers_contact", "contact_eastern_name_prefix",
     "((lower(last_name || first_name)) text_pattern_ops)"),
    ("customers_contact", "contact_western_name_prefix",
     "((lower(first_name || last_name)) text_pattern_ops)"),
    # The list pages' sorts (newest first, by name) over live records, with the columns of
    # the visibility rule: a page's ids come from an index-only scan (customers.paging), and
    # the other direction sorts incrementally within equal values.
    ("customers_contact", "contact_live_created",
     "(created, id) INCLUDE (owner_id, team_id) WHERE deleted_at IS NULL"),
    ("customers_contact", "contact_live_last_name",
     "(last_name, id DESC) INCLUDE (owner_id, team_id) WHERE deleted_at IS NULL"),
    ("customers_account", "account_live_created",
     "(created, id) INCLUDE (owner_id, team_id) WHERE deleted_at IS NULL"),
    ("customers_account", "account_live_name",
     "(name, id DESC) INCLUDE (owner_id, team_id) WHERE deleted_at IS NULL"),
]


def has_trigram(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    return cursor.fetchone() is not None


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, name, definition in BTREE_INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING btree {definition}")
        if not has_trigram(cursor):
            return  # the embedded development server: the same search, without these
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        for table, name, expression, opclass in TRIGRAM_INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                           f"USING gin (({expression}) {opclass})")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for _table, name, *_definition in TRIGRAM_INDEXES + BTREE_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_custom_fields")]
    operations = [migrations.RunPython(create, drop)]
