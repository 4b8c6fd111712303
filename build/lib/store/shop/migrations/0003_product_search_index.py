"""A trigram index on product titles, for the shop's substring search in Chinese and English."""

from django.db import migrations

# Titles are searched anywhere in the text (Chinese has no word boundaries to stem).
TRIGRAM_INDEX = "shop_product_title_trgm"


def create_trigram_index(apps, schema_editor):
    # PostgreSQL without the contrib extensions (the embedded development server) searches the
    # same way, only without the index.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON catalogue_product "
                       "USING gin (UPPER(title) public.gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("catalogue", "0032_category_exclude_from_menu_category_long_description"),
        ("shop", "0002_price_lists"),
    ]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
