"""Existing tenants: the Help centre under the home page (tenants provisioned before 0002 lack
it; new tenants copy it from the template, seeded by cms.provisioning.ensure_help_index)."""

from django.db import connection, migrations
from django_tenants.utils import get_public_schema_name


def add_help_index(apps, schema_editor):
    if connection.schema_name == get_public_schema_name():
        return
    HomePage = apps.get_model("cms", "HomePage")
    KnowledgeIndexPage = apps.get_model("cms", "KnowledgeIndexPage")
    Site = apps.get_model("wagtailcore", "Site")
    # A fresh schema (the template being built) has no home page yet: seeding adds both.
    if KnowledgeIndexPage.objects.exists() or not HomePage.objects.exists() \
            or not Site.objects.exists():
        return
    # Treebeard paths, revisions and the published copy are only made right by Wagtail's own
    # page API, which needs the real models (they match the tables as of this migration).
    from cms.provisioning import ensure_help_index

    ensure_help_index()


class Migration(migrations.Migration):

    dependencies = [
        ("cms", "0003_editor_page_permissions"),
    ]

    operations = [migrations.RunPython(add_help_index, migrations.RunPython.noop)]
