"""Operator console and operator API: list, create, suspend, resume, export, delete, sign-up."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django_tenants.utils import schema_exists
from rest_framework.authtoken.models import Token

from tenants.models import PlatformSettings, Tenant, TenantExport
from tenants.spares import create_spare
from tenants.template import TEMPLATE_SCHEMA, TemplateOutOfDate, ensure_template_current
from tests.fixtures.servers import ROOT, database_url
from tests.fixtures.world import PASSWORD, host_client

OPERATOR = "operator@example.com"


@pytest.fixture
def console(db):
    return host_client("localhost", email=OPERATOR, login_path="/operator/login/")


@pytest.fixture
def api(db):
    from django.contrib.auth import get_user_model

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(email=OPERATOR))
    client = host_client("localhost")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_console_requires_an_operator(acme):
    assert host_client("localhost").get("/operator/")["Location"].startswith("/operator/login/")
    # A tenant's admin is no operator, and the console does not exist on tenant hosts.
    assert host_client(acme.host).get("/operator/").status_code == 404
    response = host_client("localhost").post(
        "/operator/login/", {"username": acme.admin_email, "password": PASSWORD})
    assert response.status_code == 200


def test_console_lists_tenants_with_status_plan_staff_and_created(console, acme):
    page = console.get("/operator/").content.decode()
    assert "Acme Corporation" in page
    assert "acme.localhost" in page
    assert "Active" in page
    # admin + rep are staff; the two customers are not.
    row = page[page.index("Acme Corporation"):page.index("Acme Corporation") + 900]
    assert "<td>2 / 5</td>" in row


def test_console_creates_a_tenant(console):
    response = console.post("/operator/tenants/new/", {
        "name": "Initech", "slug": "initech", "owner_email": "bill@initech.example",
        "plan": ""}, follow=True)
    assert response.status_code == 200
    assert "Created Initech" in response.content.decode()
    assert Tenant.objects.get(slug="initech").status == "active"


def test_console_rejects_bad_slug_with_message(console):
    response = console.post("/operator/tenants/new/", {
        "name": "X", "slug": "www", "owner_email": "x@x.example"})
    assert response.status_code == 400
    assert "reserved" in response.content.decode()
    assert not Tenant.objects.filter(name="X").exists()


def test_console_suspend_resume(console, acme):
    console.post(f"/operator/tenants/{acme.tenant.pk}/suspend/")
    assert Tenant.objects.get(pk=acme.tenant.pk).status == "suspended"
    assert host_client(acme.host).get("/").status_code == 403
    console.post(f"/operator/tenants/{acme.tenant.pk}/resume/")
    assert Tenant.objects.get(pk=acme.tenant.pk).status == "active"
    assert host_client(acme.host).get("/").status_code == 200


def test_console_export_is_a_pg_dump_of_one_schema(console, acme):
    console.post(f"/operator/tenants/{acme.tenant.pk}/export/")
    export = TenantExport.objects.get(tenant=acme.tenant)
    download = console.get(f"/operator/exports/{export.pk}/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"PGDMP")
    listing = subprocess.run(["pg_restore", "--list", export.path], capture_output=True,
                             text=True, check=False)
    if listing.returncode == 0:  # the machine's pg_restore reads the dump's format
        assert "acme" in listing.stdout
        assert "globex" not in listing.stdout
        assert f" {TEMPLATE_SCHEMA} " not in listing.stdout


def test_console_delete_needs_the_typed_slug(console, globex):
    console.post(f"/operator/tenants/{globex.tenant.pk}/delete/", {"confirm_slug": "nope"})
    assert schema_exists("globex")
    console.post(f"/operator/tenants/{globex.tenant.pk}/delete/", {"confirm_slug": "globex"})
    tenant = Tenant.objects.get(pk=globex.tenant.pk)
    assert tenant.status == "deleted"
    assert not schema_exists("globex")
    assert not tenant.domains.exists()
    export = TenantExport.objects.get(tenant=tenant)
    assert Path(export.path).is_file()  # the export outlives the schema
    assert host_client(globex.host).get("/").status_code == 404


def test_api_lists_tenants(api, acme):
    body = api.get("/api/operator/v1/tenants/").json()
    acme_row = next(row for row in body["results"] if row["slug"] == "acme")
    assert acme_row["status"] == "active"
    assert acme_row["plan"] == "starter"
    assert acme_row["staff_count"] == 2
    assert acme_row["url"] == "http://acme.localhost:8000/"


def test_api_requires_an_operator_token(acme):
    assert host_client("localhost").get("/api/operator/v1/tenants/").status_code in (401, 403)
    bad = host_client("localhost")
    bad.defaults["HTTP_AUTHORIZATION"] = "Token not-a-token"
    assert bad.get("/api/operator/v1/tenants/").status_code == 401
    assert host_client(acme.host).get("/api/operator/v1/tenants/").status_code == 404


def test_api_creates_and_manages_a_tenant(api):
    created = api.post("/api/operator/v1/tenants/", {
        "slug": "umbrella", "name": "Umbrella", "owner_email": "al@umbrella.example",
        "plan": "enterprise"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"] == "http://umbrella.localhost:8000/"
    assert body["admin_email"] == "al@umbrella.example"
    assert body["setup_url"].startswith("http://umbrella.localhost:8000/app/set-password/")
    pk = body["id"]
    assert api.post(f"/api/operator/v1/tenants/{pk}/suspend/").json()["status"] == "suspended"
    assert api.post(f"/api/operator/v1/tenants/{pk}/suspend/").status_code == 400
    assert api.post(f"/api/operator/v1/tenants/{pk}/resume/").json()["status"] == "active"
    wrong = api.delete(f"/api/operator/v1/tenants/{pk}/", {"confirm_slug": "umbrela"},
                       content_type="application/json")
    assert wrong.status_code == 400
    assert "umbrella" in json.dumps(wrong.json())
    assert schema_exists("umbrella")


def test_api_answers_bad_input_with_400(api):
    assert api.post("/api/operator/v1/tenants/", "{not json",
                    content_type="application/json").status_code == 400
    bad = api.post("/api/operator/v1/tenants/", {"slug": "admin", "name": "X",
                                                 "owner_email": "x@x.example"},
                   content_type="application/json")
    assert bad.status_code == 400
    assert "reserved" in bad.json()["slug"][0]
    missing = api.post("/api/operator/v1/tenants/", {}, content_type="application/json")
    assert set(missing.json()) >= {"slug", "name"}
    unknown_plan = api.post("/api/operator/v1/tenants/", {
        "slug": "plan-co", "name": "P", "owner_email": "p@p.example", "plan": "gold"},
        content_type="application/json")
    assert unknown_plan.status_code == 400


def test_api_export_and_delete(api, globex):
    export = api.post(f"/api/operator/v1/tenants/{globex.tenant.pk}/export/")
    assert export.status_code == 201
    assert export.json()["size_bytes"] > 0
    deleted = api.delete(f"/api/operator/v1/tenants/{globex.tenant.pk}/",
                         {"confirm_slug": "globex"}, content_type="application/json")
    assert deleted.status_code == 200
    assert not schema_exists("globex")


def test_operator_api_is_documented(db):
    schema = host_client("localhost").get("/api/operator/schema/").content.decode()
    assert "/api/operator/v1/tenants/{id}/suspend/" in schema
    assert "/api/operator/v1/tenants/{id}/export/" in schema


@pytest.fixture
def signup_open(db):
    platform = PlatformSettings.load()
    platform.signup_enabled = True
    platform.save()
    caches["tenancy"].delete("signup-rate:127.0.0.1")
    yield
    caches["tenancy"].delete("signup-rate:127.0.0.1")


def _signup(client, slug, password="a-Strong-pass-42"):
    return client.post("/signup/", {"name": f"{slug} Ltd", "slug": slug,
                                    "owner_email": f"me@{slug}.example", "password": password})


def test_signup_is_closed_until_the_operator_opens_it(db):
    assert host_client("localhost").get("/signup/").status_code == 404


def test_signup_creates_a_tenant_and_signs_the_owner_in_there(signup_open):
    response = _signup(host_client("localhost"), "selfserve")
    assert response.status_code == 302
    handoff = response["Location"]
    assert handoff.startswith("http://selfserve.localhost:8000/handoff/?token=")
    tenant_client = host_client("selfserve.localhost")
    path = handoff.split(":8000", 1)[1]
    landed = tenant_client.get(path)
    assert landed["Location"] == "/app/"
    assert tenant_client.get("/app/").status_code == 200
    # Single use: the same link does not sign anybody in again.
    assert host_client("selfserve.localhost").get(path).status_code == 404


def test_handoff_token_is_bound_to_its_tenant(signup_open, acme):
    response = _signup(host_client("localhost"), "boundco")
    path = response["Location"].split(":8000", 1)[1]
    assert host_client(acme.host).get(path).status_code == 404
    assert host_client("boundco.localhost").get("/handoff/?token=forged").status_code == 404


def test_signup_rejects_bad_input_with_400(signup_open):
    client = host_client("localhost")
    weak = _signup(client, "weakco", password="123")
    assert weak.status_code == 400
    taken = _signup(client, "api")
    assert taken.status_code == 400
    assert "reserved" in taken.content.decode()


def test_signup_is_rate_limited(signup_open, settings):
    settings.SIGNUP_RATE_LIMIT = 2
    client = host_client("localhost")
    assert _signup(client, "rate-one").status_code == 302
    assert _signup(client, "rate-two").status_code == 302
    third = _signup(client, "rate-three")
    assert third.status_code == 429
    assert not Tenant.objects.filter(slug="rate-three").exists()


def test_migrate_schemas_keeps_the_template_current(django_db_setup, django_db_blocker):
    """The template has no Tenant row: our migrate_schemas migrates it anyway, and drops
    spares cloned from the older template."""
    with django_db_blocker.unblock():
        fingerprint_before = ensure_template_current()
        with connection.cursor() as cursor:
            # The latest tenants migration: forgetting an earlier one would break the order.
            cursor.execute(f'DELETE FROM "{TEMPLATE_SCHEMA}".django_migrations '  # noqa: S608
                           "WHERE app = 'tenants' AND name = (SELECT max(name) FROM "
                           f'"{TEMPLATE_SCHEMA}".django_migrations WHERE app = \'tenants\')')
        stale_spare = create_spare("stale")
        with pytest.raises(TemplateOutOfDate):
            ensure_template_current()
        subprocess.run(
            [sys.executable, "manage.py", "migrate_schemas", "--tenant", "-v", "0"],
            cwd=ROOT, env={**__import__("os").environ, "DATABASE_URL": database_url()},
            check=True, timeout=300,
        )
        assert ensure_template_current() == fingerprint_before
        assert not schema_exists(stale_spare)
