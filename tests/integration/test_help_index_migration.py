"""cms 0004: a tenant made before the knowledge base gets its Help centre, once; the public
schema and a schema without a home page are left alone."""

import importlib

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context
from wagtail.models import Page

from cms.models import HomePage, KnowledgeIndexPage
from tests.fixtures.world import host_client

MIGRATION = importlib.import_module("cms.migrations.0004_help_index_for_existing_tenants")


def run_migration():
    """The data migration's function with the historical models it runs with."""
    state = MigrationExecutor(connection).loader.project_state(
        ("cms", "0004_help_index_for_existing_tenants"), at_end=False)
    MIGRATION.add_help_index(state.apps, None)


def test_a_tenant_without_a_help_centre_gets_one_once(in_acme):
    KnowledgeIndexPage.objects.get().delete()
    assert host_client(in_acme.host).get("/help/").status_code == 404

    run_migration()
    run_migration()

    help_index = KnowledgeIndexPage.objects.get()
    assert help_index.live
    assert help_index.get_parent().specific_class is HomePage
    assert help_index.url_path.endswith("/help/")
    assert not any(Page.find_problems())  # treebeard paths, depths and child counts agree
    page = host_client(in_acme.host).get("/help/")
    assert page.status_code == 200
    assert "Help" in page.text


def test_the_public_schema_and_a_schema_without_a_home_page_are_skipped(in_acme):
    KnowledgeIndexPage.objects.get().delete()
    HomePage.objects.get().delete()
    run_migration()
    assert not KnowledgeIndexPage.objects.exists()
    with schema_context("public"):
        run_migration()  # no wagtail tables here: must return before touching any
