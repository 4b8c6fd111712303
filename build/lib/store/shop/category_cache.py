"""A fingerprint of the tenant's category tree: the shop's category menus are cached under it,
so any change to a category (added, renamed, moved, hidden) shows at once, with no signal to
miss and nothing to clear."""

from django.db import connection

FINGERPRINT_SQL = """
    SELECT md5(coalesce(string_agg(
        concat_ws(':', id, path, name, slug, is_public, ancestors_are_public), ','
        ORDER BY id), ''))
    FROM catalogue_category
"""


def category_fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL)
        return cursor.fetchone()[0]
