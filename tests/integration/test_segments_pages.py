"""Segment pages and API: the rule builder, members and "Recompute now", bad input as 400s,
who may use them (admins, managers, marketers; not reps or customers), the OpenAPI schema, and
globex unable to list, read or change acme's segments."""

import json

import pytest
from django.urls import include, path
from django_tenants.utils import tenant_context
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from core.accounts import create_user
from core.roles import MANAGER, MARKETER
from crm_apps.segments.models import Segment, SegmentMembership
from tests.fixtures.world import PASSWORD, admin_token, host_client, post, signed_in
from tests.integration.test_segments import build_world

HOST = "acme.localhost"
LIST = "/app/segments/"
API = "/api/v1/segments/"


@pytest.fixture
def world(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-seg", name="Unlimited")
    in_acme.tenant.save()
    rows = build_world()
    create_user(email="marketer@acme.example", password=PASSWORD, role=MARKETER)
    create_user(email="manager@acme.example", password=PASSWORD, role=MANAGER)
    return rows


def rule_rows(*rows) -> dict:
    """The rule formset's POST data for ``rows`` of (field, op, value)."""
    data = {"rules-TOTAL_FORMS": str(len(rows)), "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "20"}
    for number, (field, op, value) in enumerate(rows):
        data.update({f"rules-{number}-field": field, f"rules-{number}-op": op,
                     f"rules-{number}-value": value})
    return data


def form_data(name="Big spenders", *rows, match="all") -> dict:
    rows = rows or (("lifetime_value", "gte", "250"),)
    return {"name": name, "customer_label": "our best customers",
            "customer_label_zh": "我们最好的客户", "description": "", "match": match,
            "is_active": "on", **rule_rows(*rows)}


def test_an_admin_builds_a_segment_and_sees_its_members(
        world, django_capture_on_commit_callbacks):
    client = signed_in(HOST, "admin@acme.example")
    assert b"/app/segments/" in client.get("/app/").content  # the navigation link
    assert client.get(f"{LIST}new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(f"{LIST}new/", form_data(
            "Big spenders", ("lifetime_value", "gte", "250"), ("", "", ""),
            ("lifecycle_stage", "in", "customer, mql")))
    assert created.status_code == 303
    with tenant_context(_acme()):
        segment = Segment.objects.get(name="Big spenders")
        assert segment.rules == [
            {"field": "lifetime_value", "op": "gte", "value": "250.00"},
            {"field": "lifecycle_stage", "op": "in", "value": ["customer", "mql"]}]
        assert segment.customer_label_zh == "我们最好的客户"
        assert segment.member_count == 2
    detail = client.get(created["Location"])
    assert detail.status_code == 200
    assert b"Ann" in detail.content
    assert b"Cy" in detail.content
    listing = client.get(LIST)
    assert b"Big spenders" in listing.content
    edit = client.get(f"{created['Location']}edit/")
    assert b"250.00" in edit.content
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(f"{created['Location']}edit/", form_data(
            "Big spenders", ("tag", "has", "vip")))
    assert changed.status_code == 303
    with tenant_context(_acme()):
        assert set(SegmentMembership.objects.filter(segment=segment)
                   .values_list("contact__first_name", flat=True)) == {"Ann"}
        SegmentMembership.objects.filter(segment=segment).delete()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"{created['Location']}recompute/")
    assert again.status_code == 303
    with tenant_context(_acme()):
        assert SegmentMembership.objects.filter(segment=segment).count() == 1
    assert client.post(f"{created['Location']}delete/").status_code == 303
    with tenant_context(_acme()):
        assert not Segment.objects.filter(pk=segment.pk).exists()


def _acme():
    from tenants.models import Tenant

    return Tenant.objects.get(slug="acme")


@pytest.mark.parametrize("data", [
    form_data("Bad field", ("shoe_size", "gte", "42")),
    form_data("Bad op", ("tag", "between", "vip")),
    form_data("Bad value", ("lifetime_value", "gte", "lots")),
    form_data("Bad days", ("last_order", "within_days", "-3")),
    form_data("Unknown tag", ("tag", "has", "no-such-tag")),
    form_data("No rules", ("", "", "")),
    form_data("", ("tag", "has", "vip")),
    {"name": "No management form", "match": "all"},
    {**form_data("Junk match", ("tag", "has", "vip")), "match": "most"},
    {**form_data("Junk count"), "rules-TOTAL_FORMS": "many"},
])
def test_bad_forms_answer_400_and_save_nothing(world, data):
    client = signed_in(HOST, "manager@acme.example")
    response = client.post(f"{LIST}new/", data)
    assert response.status_code == 400
    with tenant_context(_acme()):
        assert not Segment.objects.exists()


def test_a_duplicate_name_is_a_400(world):
    Segment.objects.create(name="VIP", rules=[{"field": "tag", "op": "has", "value": "vip"}])
    client = signed_in(HOST, "admin@acme.example")
    assert client.post(f"{LIST}new/", form_data("VIP", ("tag", "has", "vip"))).status_code == 400


def test_marketers_may_reps_and_customers_may_not(world):
    segment = Segment.objects.create(name="VIP", rules=[
        {"field": "tag", "op": "has", "value": "vip"}])
    marketer = signed_in(HOST, "marketer@acme.example")
    assert marketer.get(LIST).status_code == 200
    assert marketer.get(f"{API}{segment.pk}/").status_code == 200
    rep = signed_in(HOST, "rep@acme.example")
    assert b"/app/segments/" not in rep.get("/app/").content
    for url in (LIST, f"{LIST}new/", f"{LIST}{segment.pk}/", f"{LIST}{segment.pk}/edit/"):
        assert rep.get(url).status_code == 403, url
    assert rep.post(f"{LIST}{segment.pk}/delete/").status_code == 403
    assert rep.get(API).status_code == 403
    assert rep.delete(f"{API}{segment.pk}/").status_code == 403
    customer = host_client(HOST, email="customer@acme.example", login_path="/portal/login/")
    assert customer.get(LIST).status_code == 403
    assert customer.get(API).status_code == 403
    anonymous = host_client(HOST)
    assert anonymous.get(LIST).status_code == 302
    assert anonymous.get(API).status_code in (401, 403)
    with tenant_context(_acme()):
        assert Segment.objects.filter(pk=segment.pk).exists()


def test_the_api_creates_validates_and_lists_members(world, django_capture_on_commit_callbacks):
    client = signed_in(HOST, "admin@acme.example")
    payload = {"name": "Recent VIPs", "match": "all", "customer_label": "VIP",
               "rules": [{"field": "tag", "op": "has", "value": "vip"},
                         {"field": "last_order", "op": "within_days", "value": 30}]}
    with django_capture_on_commit_callbacks(execute=True):
        created = post(client, API, payload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["rules"][1] == {"field": "last_order", "op": "within_days", "value": 30}
    members = client.get(f"{API}{body['id']}/members/").json()
    assert members["count"] == 1
    assert members["results"] == [{"id": world["ann"].pk, "name": "Ann"}]
    listing = client.get(API).json()
    assert [row["name"] for row in listing["results"]] == ["Recent VIPs"]
    assert listing["results"][0]["member_count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.patch(f"{API}{body['id']}/", json.dumps(
            {"rules": [{"field": "open_tickets", "op": "gte", "value": "2"}]}),
            content_type="application/json")
    assert changed.status_code == 200
    assert client.get(f"{API}{body['id']}/members/").json()["results"] == [
        {"id": world["cy"].pk, "name": "Cy"}]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{API}{body['id']}/recompute/").status_code == 202
    assert client.delete(f"{API}{body['id']}/").status_code == 204
    assert client.get(f"{API}{body['id']}/").status_code == 404


@pytest.mark.parametrize("rules", [
    None, "tag has vip", [], [{"field": "shoe_size", "op": "gte", "value": 1}],
    [{"field": "tag", "op": "gte", "value": "vip"}],
    [{"field": "lifetime_value", "op": "gte", "value": "lots"}],
    [{"field": "lifetime_value", "op": "between", "value": [1]}],
    [{"field": "rfm_total", "op": "gte", "value": 99}],
    [{"field": "contract", "op": "none", "value": "yes"}],
    [["tag", "has", "vip"]], [{"field": "tag", "op": "has", "value": {"name": "vip"}}],
])
def test_bad_rules_in_the_api_answer_400(world, rules):
    client = signed_in(HOST, "admin@acme.example")
    response = post(client, API, {"name": "Bad", "rules": rules})
    assert response.status_code == 400
    assert "rules" in response.json()


@pytest.mark.parametrize(("method", "url", "body"), [
    ("post", API, "{not json"), ("post", API, '["a list"]'),
    ("post", API, '{"name": "x", "rules": [{"field": "tag", "op": "has", "value": "vip"}], '
                  '"match": "most"}'),
    ("get", f"{API}999999/", None), ("get", f"{API}abc/", None),
    ("get", f"{API}999999/members/", None),
])
def test_junk_requests_are_4xx(world, method, url, body):
    client = signed_in(HOST, "admin@acme.example")
    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, body, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_junk_page_ids_and_pages_are_not_500s(world):
    segment = Segment.objects.create(name="VIP", rules=[
        {"field": "tag", "op": "has", "value": "vip"}])
    client = signed_in(HOST, "admin@acme.example")
    assert client.get(f"{LIST}999999/").status_code == 404
    assert client.get(f"{LIST}{segment.pk}/", {"page": "junk"}).status_code == 200
    assert client.get(f"{API}{segment.pk}/members/", {"page": "junk"}).status_code == 404


def test_globex_cannot_list_read_or_change_acme_segments(world, globex):
    segment = Segment.objects.create(name="Acme VIP", rules=[
        {"field": "tag", "op": "has", "value": "vip"}])
    SegmentMembership.objects.create(segment=segment, contact=world["ann"])
    token = admin_token(globex.tenant)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    api = host_client(globex.host)
    assert api.get(API, **auth).json()["results"] == []
    for method in ("get", "delete"):
        assert getattr(api, method)(f"{API}{segment.pk}/", **auth).status_code == 404
    assert api.get(f"{API}{segment.pk}/members/", **auth).status_code == 404
    assert api.patch(f"{API}{segment.pk}/", json.dumps({"name": "Taken"}),
                     content_type="application/json", **auth).status_code == 404
    pages = signed_in(globex.host, "admin@globex.example")
    assert b"Acme VIP" not in pages.get(LIST).content
    for url in (f"{LIST}{segment.pk}/", f"{LIST}{segment.pk}/edit/"):
        assert pages.get(url).status_code == 404
    assert pages.post(f"{LIST}{segment.pk}/delete/").status_code == 404
    assert pages.post(f"{LIST}{segment.pk}/recompute/").status_code == 404
    # acme's token means nothing on globex's host.
    acme_auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(_acme())}"}
    assert api.get(API, **acme_auth).status_code == 401
    with tenant_context(_acme()):
        assert Segment.objects.get(pk=segment.pk).name == "Acme VIP"
        assert SegmentMembership.objects.filter(segment=segment).count() == 1


def test_the_schema_has_the_segment_endpoints_without_warnings(in_acme):
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("core.api_urls"))])
    with GENERATOR_STATS.silence():
        schema = generator.get_schema(request=None, public=True)
    problems = sorted({*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache})
    GENERATOR_STATS.reset()
    assert [problem for problem in problems if "egment" in str(problem)] == []
    assert "SegmentRule" in schema["components"]["schemas"]
    for route in (API, f"{API}{{id}}/", f"{API}{{id}}/members/", f"{API}{{id}}/recompute/",
                  f"{API}preview/"):
        assert route in schema["paths"], route
    members = schema["paths"][f"{API}{{id}}/members/"]["get"]["responses"]["200"]
    assert "PaginatedSegmentMemberList" in json.dumps(members)


def test_pages_and_api_lists_do_not_grow_queries_with_rows(
        world, django_assert_max_num_queries):
    from crm_apps.customers.models import Contact

    crowd = Contact.objects.bulk_create(
        [Contact(first_name=f"Member {number}") for number in range(60)])
    segments = Segment.objects.bulk_create(
        [Segment(name=f"Segment {number}", rules=[
            {"field": "tag", "op": "has", "value": "vip"}]) for number in range(30)])
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segments[0], contact=contact) for contact in crowd])
    client = signed_in(HOST, "admin@acme.example")
    client.get(LIST)  # warm the session and caches
    for url in (LIST, f"{LIST}{segments[0].pk}/", API, f"{API}{segments[0].pk}/members/"):
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200, url


def test_preview_counts_matches_without_saving(world):
    client = signed_in(HOST, "marketer@acme.example")
    response = client.post(f"{LIST}new/", {**form_data(
        "Preview", ("lifecycle_stage", "is", "customer")), "preview": "1"})
    assert response.status_code == 200
    assert b"2 contacts match these rules now." in response.content
    with tenant_context(_acme()):
        assert not Segment.objects.exists()

    api = post(client, f"{API}preview/", {"rules": [
        {"field": "tag", "op": "has", "value": "vip"}], "match": "any"})
    assert api.status_code == 200
    assert api.json() == {"count": 1}
    assert post(client, f"{API}preview/", {"rules": [{"field": "tag"}]}).status_code == 400
    assert signed_in(HOST, "rep@acme.example").post(f"{API}preview/").status_code == 403
    with tenant_context(_acme()):
        assert not Segment.objects.exists()
