"""Provisioning: clone or spare, per-tenant fix-ups, atomic failure, template consistency."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site as DjangoSite
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, schema_exists, tenant_context
from oscar.core.loading import get_model
from wagtail.models import Site

from cms.models import HomePage
from core.permissions import roles_of
from core.roles import ALL_ROLES, TENANT_ADMIN
from tenants.models import Domain, Plan, SpareSchema, Tenant
from tenants.provisioning import provision_tenant
from tenants.spares import create_spare, fill_pool
from tenants.template import (
    TEMPLATE_SCHEMA,
    SchemaMismatch,
    TemplateOutOfDate,
    schema_shape,
    template_fingerprint,
    template_shape,
    verify_matches_template,
)

pytestmark = pytest.mark.django_db


def _provision(slug="newco", **kwargs):
    kwargs.setdefault("refill", False)
    return provision_tenant(slug=slug, name="New Co 新公司", owner_email="owner@newco.example",
                            admin_password="pw-123456789", **kwargs)


def test_clone_path_creates_everything_a_tenant_needs():
    result = _provision(use_spare=False)
    tenant = result.tenant
    assert not result.from_spare
    assert schema_exists("newco")
    assert Domain.objects.get(tenant=tenant).domain == "newco.localhost"
    assert tenant.plan == Plan.objects.order_by("monthly_price").first()
    with tenant_context(tenant):
        site = Site.objects.get()
        assert site.hostname == "newco.localhost"
        assert site.root_page.specific.title == "New Co 新公司"
        assert isinstance(site.root_page.specific, HomePage)
        assert DjangoSite.objects.get(pk=1).domain == "newco.localhost"
        admin = get_user_model().objects.get(email="owner@newco.example")
        assert roles_of(admin) == {TENANT_ADMIN}
        assert admin.check_password("pw-123456789")
        groups = set(get_model("auth", "Group").objects.values_list("name", flat=True))
        assert set(ALL_ROLES) <= groups
        assert get_model("partner", "Partner").objects.get(code="default").name == "New Co 新公司"
        assert get_model("address", "Country").objects.filter(is_shipping_country=True).exists()


def test_spare_pool_path_renames_a_ready_clone():
    fill_pool(1)
    spare = SpareSchema.objects.get()
    result = _provision()
    assert result.from_spare
    assert not schema_exists(spare.schema_name)
    assert not SpareSchema.objects.exists()
    with tenant_context(result.tenant):
        assert Site.objects.get().hostname == "newco.localhost"
        assert get_user_model().objects.filter(email="owner@newco.example").exists()


def test_without_a_password_the_owner_gets_a_one_time_link(
        mailoutbox, django_capture_on_commit_callbacks):
    from tests.fixtures.world import host_client

    with django_capture_on_commit_callbacks(execute=True):
        result = provision_tenant(slug="genpw", name="Gen", owner_email="o@gen.example",
                                  use_spare=False, refill=False)
    with tenant_context(result.tenant):
        assert not get_user_model().objects.get(email="o@gen.example").has_usable_password()
    assert result.setup_url in mailoutbox[0].body
    path = result.setup_url.split(":8000", 1)[1]
    client = host_client("genpw.localhost")
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0], {
        "new_password1": "A-fresh-pass-77", "new_password2": "A-fresh-pass-77"})
    assert done["Location"] == "/app/"
    assert client.get("/app/").status_code == 200
    assert host_client("genpw.localhost").get(path, follow=True).context["validlink"] is False


def test_failure_mid_provisioning_leaves_nothing(monkeypatch):
    fill_pool(1)
    spare = SpareSchema.objects.get().schema_name

    def broken(setup):
        raise RuntimeError("wagtail fix-up failed")

    monkeypatch.setattr("cms.provisioning.configure_tenant", broken)
    with pytest.raises(RuntimeError, match="fix-up failed"):
        _provision()
    assert not Tenant.objects.filter(slug="newco").exists()
    assert not Domain.objects.filter(domain="newco.localhost").exists()
    assert not schema_exists("newco")
    # The spare it took is back in the pool, untouched.
    assert SpareSchema.objects.filter(schema_name=spare).exists()
    assert schema_exists(spare)


def test_failure_on_clone_path_leaves_nothing(monkeypatch):
    monkeypatch.setattr("store.provisioning.configure_tenant",
                        lambda setup: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        _provision(use_spare=False)
    assert not Tenant.objects.filter(slug="newco").exists()
    assert not schema_exists("newco")


def test_invalid_input_creates_nothing():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        provision_tenant(slug="ok-slug", name="X", owner_email="not-an-email")
    with pytest.raises(ValidationError):
        provision_tenant(slug="ok-slug", name="  ", owner_email="a@b.example")
    assert not Tenant.objects.filter(slug="ok-slug").exists()
    assert not schema_exists("ok_slug")


def test_clone_keeps_template_constraint_and_sequence_names():
    result = _provision(use_spare=False)
    template, clone = schema_shape(TEMPLATE_SCHEMA), schema_shape(result.tenant.schema_name)
    assert template == clone
    unique_names = {c for c in template["constraints"] if c[2] == "u"}
    assert unique_names, "the template has named unique constraints to compare"


def test_django_tenants_clone_alone_renames_unique_constraints():
    """The pitfall our repair step exists for: the raw clone has other names."""
    from django_tenants.clone import CloneSchema

    CloneSchema().clone_schema(TEMPLATE_SCHEMA, "rawclone")
    with connection.cursor() as cursor:
        sql = ("SELECT t.relname, k.conname FROM pg_constraint k JOIN pg_class t "
               "ON t.oid = k.conrelid WHERE k.connamespace = %s::regnamespace AND k.contype='u'")
        cursor.execute(sql, [f'"{TEMPLATE_SCHEMA}"'])
        template = set(cursor.fetchall())
        cursor.execute(sql, ['"rawclone"'])
        raw = set(cursor.fetchall())
    assert template != raw


def test_stale_template_refuses_to_provision():
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{TEMPLATE_SCHEMA}".django_migrations WHERE app = %s', ["cms"])
    with pytest.raises(TemplateOutOfDate, match="lacks"):
        _provision(use_spare=False)
    assert not Tenant.objects.filter(slug="newco").exists()
    assert not schema_exists("newco")


def test_drifted_spare_is_caught_by_the_consistency_check():
    fingerprint = template_fingerprint()
    name = create_spare(fingerprint)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{name}".wagtailcore_modellogentry')
    with pytest.raises(SchemaMismatch, match="wagtailcore_modellogentry"):
        _provision()
    assert not Tenant.objects.filter(slug="newco").exists()
    assert not schema_exists("newco")


def test_spares_of_an_older_template_are_not_used():
    name = create_spare("an-older-fingerprint")
    result = _provision()
    assert not result.from_spare
    assert schema_exists(name)


def test_sequences_continue_past_copied_rows():
    result = _provision(use_spare=False)
    with schema_context(result.tenant.schema_name):
        group = get_model("auth", "Group").objects.create(name="extra")
        assert group.pk > max(
            get_model("auth", "Group").objects.exclude(pk=group.pk).values_list("pk", flat=True))


def test_tenant_hosts_are_isolated(acme, globex):
    with tenant_context(acme.tenant):
        acme_users = set(get_user_model().objects.values_list("email", flat=True))
    with tenant_context(globex.tenant):
        globex_users = set(get_user_model().objects.values_list("email", flat=True))
    assert "admin@acme.example" in acme_users
    assert "admin@acme.example" not in globex_users
    assert not acme_users & globex_users


def test_checking_a_new_schema_reads_the_catalogue_by_name_not_whole():
    """pg_class has no index on the schema alone: checking each sign-up by schema would read
    1,432 more catalogue rows per tenant in the fleet, so sign-ups would slow as it grows."""
    name = create_spare(template_fingerprint())
    template_shape()  # read once per template state
    with CaptureQueriesContext(connection) as queries:
        verify_matches_template(name)
    catalogue = [query["sql"] for query in queries.captured_queries if "pg_class" in query["sql"]]
    assert len(catalogue) == 3
    assert all("relname = ANY(" in sql for sql in catalogue)
    assert all(TEMPLATE_SCHEMA not in sql for sql in catalogue)  # the template's is remembered


def test_the_remembered_template_shape_follows_its_migrations():
    before = template_shape()
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{TEMPLATE_SCHEMA}".django_migrations WHERE app = %s', ["cms"])
    after = template_shape()
    assert after["migrations"] == before["migrations"] - {m for m in before["migrations"]
                                                          if m[0] == "cms"}
    assert after["relations"] == before["relations"]
