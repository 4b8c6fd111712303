"""The tenant URL map, unknown hosts, roles, suspension, cookie, cache and media isolation."""

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context
from wagtail.models import Site

from tenants.lifecycle import resume_tenant, suspend_tenant
from tests.fixtures.world import host_client

STAFF_LOGIN, PORTAL_LOGIN = "/app/login/", "/portal/login/"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/shop/catalogue/", 200),
        ("/shop/", 302),
        ("/portal/login/", 200),
        ("/app/login/", 200),
        ("/api/schema/", 200),
        ("/api/docs/", 200),
        ("/cms-admin/login/", 200),
        ("/admin/login/", 200),
        ("/healthz", 200),
        ("/readyz", 200),
    ],
)
def test_tenant_url_map_works_on_a_tenant(acme, path, status):
    assert host_client(acme.host).get(path).status_code == status


def test_oscar_pages_render_with_i18n_urls(acme):
    response = host_client(acme.host).get("/shop/catalogue/")
    assert b"/i18n/setlang/" in response.content


def test_protected_areas_redirect_anonymous_users_to_their_login(acme):
    client = host_client(acme.host)
    assert client.get("/app/")["Location"].startswith("/app/login/")
    assert client.get("/portal/")["Location"].startswith("/portal/login/")
    assert client.get("/cms-admin/")["Location"].startswith("/cms-admin/login/")
    assert client.get("/api/v1/me/").status_code == 401


def test_unknown_host_is_404_not_public_content(db):
    client = host_client("nobody.localhost")
    for path in ["/", "/operator/", "/app/", "/shop/catalogue/", "/signup/"]:
        response = client.get(path)
        assert response.status_code == 404
        assert b"operator" not in response.content.lower()


def test_public_host_does_not_serve_tenant_areas(db):
    client = host_client("localhost")
    for path in ["/app/", "/portal/", "/shop/catalogue/", "/cms-admin/", "/api/v1/me/"]:
        assert client.get(path).status_code == 404


def test_staff_and_customers_reach_only_their_side(acme):
    staff = host_client(acme.host, email=acme.rep_email, login_path=STAFF_LOGIN)
    assert staff.get("/app/").status_code == 200
    assert staff.get("/portal/").status_code == 403
    customer = host_client(acme.host, email=acme.customer_email, login_path=PORTAL_LOGIN)
    assert customer.get("/portal/").status_code == 200
    assert customer.get("/app/").status_code == 403
    assert customer.get("/api/v1/me/").status_code == 403


def test_login_refuses_the_wrong_audience_with_a_message(acme):
    client = host_client(acme.host)
    response = client.post(STAFF_LOGIN, {"username": acme.customer_email,
                                         "password": "test-pass-123"})
    assert response.status_code == 200
    assert b"This sign-in is for staff" in response.content


def test_staff_api_me_reports_roles_and_tenant(acme):
    staff = host_client(acme.host, email=acme.admin_email, login_path=STAFF_LOGIN)
    body = staff.get("/api/v1/me/").json()
    assert body["email"] == acme.admin_email
    assert body["roles"] == ["tenant_admin"]
    assert body["tenant"] == "acme"


def test_session_from_one_tenant_is_worthless_on_another(acme, globex):
    staff = host_client(acme.host, email=acme.admin_email, login_path=STAFF_LOGIN)
    session_cookie = staff.cookies["sessionid"]
    assert session_cookie["domain"] == ""  # host-only: the browser never sends it elsewhere
    intruder = host_client(globex.host)
    intruder.cookies["sessionid"] = session_cookie.value
    assert intruder.get("/app/").status_code == 302
    assert intruder.get("/api/v1/me/").status_code == 401


def test_cache_keys_are_tenant_scoped(acme, globex):
    with tenant_context(acme.tenant):
        cache.set("greeting", "acme only")
        assert cache.get("greeting") == "acme only"
    with tenant_context(globex.tenant):
        assert cache.get("greeting") is None
    with tenant_context(acme.tenant):
        cache.delete("greeting")


def test_wagtail_site_urls_are_per_tenant(acme, globex):
    for tenant_users in (acme, globex):
        with tenant_context(tenant_users.tenant):
            home = Site.objects.get().root_page
            assert home.get_url() == "/"
            assert tenant_users.host in home.full_url


def test_uploaded_media_paths_carry_the_tenant(acme, globex):
    with tenant_context(acme.tenant):
        name = default_storage.save("docs/note.txt", ContentFile(b"acme"))
        assert "/acme/" in default_storage.path(name)
        assert "/acme/" in default_storage.url(name)
    with tenant_context(globex.tenant):
        assert not default_storage.exists(name)
    with tenant_context(acme.tenant):
        default_storage.delete(name)


def test_suspended_tenant_answers_403_and_resume_restores(acme):
    staff = host_client(acme.host, email=acme.admin_email, login_path=STAFF_LOGIN)
    suspend_tenant(acme.tenant)
    page = staff.get("/app/")
    assert page.status_code == 403
    assert b"suspended" in page.content
    api = staff.get("/api/v1/me/")
    assert api.status_code == 403
    assert "suspended" in api.json()["detail"]
    assert host_client(acme.host).get("/").status_code == 403
    resume_tenant(acme.tenant)
    assert staff.get("/app/").status_code == 200


def test_language_switcher_serves_chinese(acme):
    client = host_client(acme.host)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/app/login/"})
    page = client.get("/app/login/").content.decode()
    assert "员工登录" in page
    assert "Staff sign-in" not in page


def test_back_office_home_query_count_does_not_grow_with_users(acme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.accounts import create_user

    staff = host_client(acme.host, email=acme.admin_email, login_path=STAFF_LOGIN)
    staff.get("/app/")
    with CaptureQueriesContext(connection) as before:
        staff.get("/app/")
    with tenant_context(acme.tenant):
        for index in range(20):
            create_user(email=f"c{index}@acme.example", password=None, role="portal_customer")
        for index in range(3):  # the starter plan allows 5 staff; acme has 2
            create_user(email=f"s{index}@acme.example", password=None, role="marketer")
    with CaptureQueriesContext(connection) as after:
        page = staff.get("/app/")
    assert page.context["customer_count"] == 22
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_per_process_host_memo_stays_bounded_and_keeps_serving(acme, monkeypatch):
    """Made-up Host headers (or a fleet larger than the memo) must not grow the process."""
    from core import tenancy

    monkeypatch.setattr(tenancy, "LOCAL_HOSTS_MAX", 20)
    client = host_client(acme.host)
    assert client.get("/portal/login/").status_code == 200
    for number in range(60):
        stranger = host_client(f"nobody-{number}.localhost").get("/portal/login/")
        assert stranger.status_code == 404
    assert len(tenancy._local_hosts) <= 20
    assert "nobody-59.localhost" in tenancy._local_hosts  # the newest are kept
    assert acme.host.split(":")[0] not in tenancy._local_hosts  # the oldest went first
    assert client.get("/portal/login/").status_code == 200  # and is simply looked up again
    assert acme.host.split(":")[0] in tenancy._local_hosts
