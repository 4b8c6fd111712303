"""Fields hidden from roles: kept from a sales rep in the API, forms, detail pages, exports,
filters, ordering and history, never from a tenant admin; managed by tenant admins only."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_tenants.utils import tenant_context

from core.roles import SERVICE_AGENT
from crm_apps.customers.models import Account, Contact
from crm_apps.customization.models import CustomField, FieldRestriction
from tests.fixtures.world import post, signed_in

ACCOUNTS = "/api/v1/accounts/"
HIDDEN = "/api/v1/hidden-fields/"
ACCOUNT = "customers.account"


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


@pytest.fixture
def secret(in_acme):
    """Annual revenue, website and a custom "margin" are hidden from sales reps; one account
    of the rep's holds values for all three."""
    rep = get_user_model().objects.get(email="rep@acme.example")
    CustomField.objects.create(entity=ACCOUNT, code="margin", label="Margin", type="number",
                               position=1)
    CustomField.objects.create(entity=ACCOUNT, code="region_code", label="Region code",
                               type="text", position=2)
    for field in ("annual_revenue", "custom.margin", "website"):
        FieldRestriction.objects.create(entity=ACCOUNT, field=field,
                                        hidden_from=["sales_rep", "marketer"])
    big = Account.objects.create(name="Big Co", owner=rep, annual_revenue="9000000.00",
                                 website="https://big.example", tier="gold",
                                 custom={"margin": "42.5", "region_code": "N1"})
    small = Account.objects.create(name="Small Co", owner=rep, annual_revenue="1000.00",
                                   tier="silver", custom={"margin": "3", "region_code": "S1"})
    big.save()  # a second save, so the history holds a change of the hidden values
    Account.objects.filter(pk=big.pk).update(annual_revenue="9500000.00")
    big.refresh_from_db()
    big.annual_revenue = "9600000.00"
    big.save()
    return {"rep": rep, "big": big, "small": small}


@pytest.fixture
def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


@pytest.fixture
def rep(in_acme):
    return signed_in(in_acme.host, in_acme.rep_email)


def test_hidden_fields_are_absent_from_the_api_for_the_rep_not_the_admin(rep, admin, secret):
    path = f"{ACCOUNTS}{secret['big'].pk}/"
    body = rep.get(path).json()
    assert "annual_revenue" not in body
    assert "website" not in body
    assert "domain" not in body  # nor what derives from it
    assert body["custom"] == {"region_code": "N1"}
    assert body["tier"] == "gold"
    listed = rep.get(ACCOUNTS).json()["results"]
    assert all("annual_revenue" not in row for row in listed)
    assert all("margin" not in row["custom"] for row in listed)
    body = admin.get(path).json()
    assert body["annual_revenue"] == "9600000.00"
    assert body["domain"] == "big.example"
    assert body["custom"] == {"margin": "42.5", "region_code": "N1"}
    # The rep's definitions list leaves the hidden custom field out too.
    codes = [row["code"] for row in rep.get("/api/v1/custom-fields/").json()["results"]]
    assert codes == ["region_code"]


def test_writing_a_hidden_field_is_a_400_naming_it(rep, secret):
    path = f"{ACCOUNTS}{secret['big'].pk}/"
    response = patch(rep, path, {"annual_revenue": "1"})
    assert response.status_code == 400
    assert "annual_revenue" in response.json()
    response = patch(rep, path, {"custom": {"margin": "1"}})
    assert response.status_code == 400
    assert "margin" in response.json()["custom"]
    response = post(rep, ACCOUNTS, {"name": "New", "annual_revenue": "5"})
    assert response.status_code == 400
    assert "annual_revenue" in response.json()
    # Other changes keep the hidden values as they are.
    assert patch(rep, path, {"tier": "platinum", "custom": {"region_code": "N2"}}
                 ).status_code == 200
    big = Account.objects.get(pk=secret["big"].pk)
    assert str(big.annual_revenue) == "9600000.00"
    assert big.custom == {"margin": "42.5", "region_code": "N2"}
    assert big.website == "https://big.example"


@pytest.mark.parametrize("query", [
    "annual_revenue_min=5000000", "annual_revenue_max=10", "cf_margin_min=10",
    "cf_margin=42.5", "ordering=-annual_revenue", "ordering=name,annual_revenue",
])
def test_filtering_or_sorting_on_a_hidden_field_is_a_400_for_the_rep(rep, admin, secret,
                                                                     query):
    response = rep.get(f"{ACCOUNTS}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()
    assert rep.get(f"{ACCOUNTS}export/?{query}").status_code == 400
    assert admin.get(f"{ACCOUNTS}?{query}").status_code == 200


def test_the_admin_filters_and_sorts_by_hidden_fields(admin, secret):
    rows = admin.get(f"{ACCOUNTS}?annual_revenue_min=5000000").json()["results"]
    assert [row["name"] for row in rows] == ["Big Co"]
    rows = admin.get(f"{ACCOUNTS}?cf_margin_max=10").json()["results"]
    assert [row["name"] for row in rows] == ["Small Co"]
    rows = admin.get(f"{ACCOUNTS}?ordering=annual_revenue").json()["results"]
    assert [row["name"] for row in rows] == ["Small Co", "Big Co"]


def test_a_page_ignores_filters_on_hidden_fields(in_acme, rep, admin, secret):
    page = rep.get("/app/customers/accounts/?annual_revenue_min=5000000&cf_margin_min=10")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Big Co" in html
    assert "Small Co" in html  # no effect: nothing to infer
    html = admin.get("/app/customers/accounts/?annual_revenue_min=5000000").content.decode()
    assert "Big Co" in html
    assert "Small Co" not in html


def test_the_form_leaves_hidden_fields_out_and_a_save_keeps_them(in_acme, rep, admin,
                                                                  secret):
    big = secret["big"]
    edit = f"/app/customers/accounts/{big.pk}/edit/"
    html = rep.get(edit).content.decode()
    assert 'name="annual_revenue"' not in html
    assert 'name="cf_margin"' not in html
    assert 'name="website"' not in html
    assert 'name="cf_region_code"' in html
    response = rep.post(edit, {"name": "Big Co Ltd", "tier": "gold", "owner": secret["rep"].pk,
                               "cf_region_code": "N9", "annual_revenue": "1",
                               "cf_margin": "0", "website": "https://evil.example"})
    assert response.status_code == 302
    big.refresh_from_db()
    assert big.name == "Big Co Ltd"
    assert str(big.annual_revenue) == "9600000.00"
    assert big.website == "https://big.example"
    assert big.custom == {"margin": "42.5", "region_code": "N9"}
    html = admin.get(edit).content.decode()
    assert 'name="annual_revenue"' in html
    assert 'name="cf_margin"' in html


def test_the_detail_page_leaves_hidden_fields_out(in_acme, rep, admin, secret):
    path = f"/app/customers/accounts/{secret['big'].pk}/"
    html = rep.get(path).content.decode()
    assert "Annual revenue" not in html
    assert "9,600,000.00" not in html
    assert "Margin" not in html
    assert "42.5" not in html
    assert "big.example" not in html
    assert "Region code" in html
    assert "N1" in html
    html = admin.get(path).content.decode()
    assert "Annual revenue" in html
    assert "9,600,000.00" in html
    assert "Margin" in html
    assert "42.5" in html
    assert "big.example" in html


def exported(client):
    response = client.get(f"{ACCOUNTS}export/?file=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_exports_drop_hidden_columns_for_the_rep_only(rep, admin, secret):
    rows = exported(rep)
    assert {row["name"] for row in rows} == {"Big Co", "Small Co"}
    for hidden in ("annual_revenue", "website", "domain", "custom.margin"):
        assert hidden not in rows[0]
    assert rows[0]["custom.region_code"] in ("N1", "S1")
    rows = exported(admin)
    big = next(row for row in rows if row["name"] == "Big Co")
    assert big["annual_revenue"] == "9600000.00"
    assert big["custom.margin"] == "42.5"
    assert big["website"] == "https://big.example"


def test_the_export_helper_drops_hidden_columns_whatever_it_is_asked(in_acme, secret):
    from core.audit import acting_as
    from crm_apps.customers.export import export

    with acting_as(secret["rep"]):
        response = export(Account.objects.all(), ["name", "annual_revenue", "custom.margin"],
                          "csv", "accounts", {})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "name"


def test_the_history_keeps_hidden_values_from_the_rep(rep, admin, secret):
    path = f"{ACCOUNTS}{secret['big'].pk}/history/"
    for entry in rep.get(path).json()["results"]:
        assert "annual_revenue" not in entry["changes"]
        assert "custom.margin" not in entry["changes"]
        assert "website" not in entry["changes"]
    changes = [entry["changes"] for entry in admin.get(path).json()["results"]]
    assert changes[0] == {"annual_revenue": ["9500000.00", "9600000.00"]}
    assert changes[-1]["custom.margin"] == [None, "42.5"]


def test_a_user_sees_a_field_if_any_of_their_roles_may(in_acme, rep, secret):
    # Roles add up: the rep who is also a service agent is not kept from the field.
    secret["rep"].groups.add(Group.objects.get(name=SERVICE_AGENT))
    body = rep.get(f"{ACCOUNTS}{secret['big'].pk}/").json()
    assert body["annual_revenue"] == "9600000.00"
    assert body["custom"]["margin"] == "42.5"


def test_contact_fields_can_be_hidden_too(in_acme, rep, secret):
    FieldRestriction.objects.create(entity="customers.contact", field="mobile",
                                    hidden_from=["sales_rep"])
    contact = Contact.objects.create(first_name="Mo", mobile="+86 138 0000 0000",
                                     owner=secret["rep"], account=secret["big"])
    body = rep.get(f"/api/v1/contacts/{contact.pk}/").json()
    assert "mobile" not in body
    assert body["first_name"] == "Mo"
    html = rep.get(f"/app/customers/contacts/{contact.pk}/").content.decode()
    assert "138 0000" not in html
    assert "Mobile" not in html
    assert rep.get("/api/v1/contacts/?ordering=email").status_code == 200


# --- Managing hidden fields ------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "field"), [
    ({"entity": ACCOUNT, "field": "owner", "hidden_from": ["sales_rep"]}, "field"),
    ({"entity": ACCOUNT, "field": "id", "hidden_from": ["sales_rep"]}, "field"),
    ({"entity": ACCOUNT, "field": "name", "hidden_from": ["sales_rep"]}, "field"),
    ({"entity": ACCOUNT, "field": "no_such_field", "hidden_from": ["sales_rep"]}, "field"),
    ({"entity": ACCOUNT, "field": "custom.nothing", "hidden_from": ["sales_rep"]}, "field"),
    ({"entity": ACCOUNT, "field": "annual_revenue", "hidden_from": ["manager"]}, "field"),
    ({"entity": ACCOUNT, "field": "phone", "hidden_from": ["tenant_admin"]}, "hidden_from"),
    ({"entity": ACCOUNT, "field": "phone", "hidden_from": ["portal_customer"]},
     "hidden_from"),
    ({"entity": ACCOUNT, "field": "phone", "hidden_from": "sales_rep"}, "hidden_from"),
    ({"entity": "customers.nothing", "field": "phone", "hidden_from": []}, "entity"),
])
def test_bad_hidden_fields_are_refused(admin, secret, payload, field):
    response = post(admin, HIDDEN, payload)
    assert response.status_code == 400
    assert field in response.json()


def test_only_tenant_admins_change_hidden_fields(rep, admin, secret):
    created = post(admin, HIDDEN, {"entity": ACCOUNT, "field": "custom.region_code",
                                   "hidden_from": ["sales_rep", "manager"]})
    assert created.status_code == 201, created.content
    assert created.json()["hidden_from"] == ["manager", "sales_rep"]
    assert rep.get(f"{ACCOUNTS}{secret['big'].pk}/").json()["custom"] == {}
    assert rep.get(HIDDEN).status_code == 200
    pk = created.json()["id"]
    assert patch(rep, f"{HIDDEN}{pk}/", {"hidden_from": []}).status_code == 403
    assert rep.delete(f"{HIDDEN}{pk}/").status_code == 403
    assert post(rep, HIDDEN, {"entity": ACCOUNT, "field": "phone",
                              "hidden_from": ["sales_rep"]}).status_code == 403
    assert admin.delete(f"{HIDDEN}{pk}/").status_code == 204
    assert rep.get(f"{ACCOUNTS}{secret['big'].pk}/").json()["custom"] == {"region_code": "N1"}


def test_the_hidden_fields_page_saves_the_ticked_boxes(in_acme, rep, admin, secret):
    page = admin.get("/app/settings/fields/hidden/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="hide:customers.account:annual_revenue" value="sales_rep"' in html
    assert 'name="hide:customers.account:custom.margin"' in html
    assert 'name="hide:customers.account:owner"' not in html
    assert 'value="tenant_admin"' not in html
    response = admin.post("/app/settings/fields/hidden/", {
        "hide:customers.account:phone": ["sales_rep", "manager"],
        "hide:customers.account:annual_revenue": ["tenant_admin"],  # not a choice: ignored
        "hide:customers.contact:mobile": ["marketer"]})
    assert response.status_code == 302
    stored = {(row.entity, row.field): row.hidden_from for row in FieldRestriction.objects.all()}
    assert stored == {(ACCOUNT, "phone"): ["manager", "sales_rep"],
                      ("customers.contact", "mobile"): ["marketer"]}
    assert rep.post("/app/settings/fields/hidden/", {}).status_code == 403
    assert FieldRestriction.objects.count() == 2


def test_globex_cannot_see_or_change_acmes_hidden_fields(acme, globex):
    with tenant_context(acme.tenant):
        restriction = FieldRestriction.objects.create(entity=ACCOUNT, field="phone",
                                                      hidden_from=["sales_rep"])
    globex_admin = signed_in(globex.host, globex.admin_email)
    assert globex_admin.get(HIDDEN).json()["results"] == []
    assert globex_admin.delete(f"{HIDDEN}{restriction.pk}/").status_code == 404
    with tenant_context(acme.tenant):
        assert FieldRestriction.objects.filter(pk=restriction.pk).exists()


def test_a_hidden_custom_field_stays_hidden_under_a_new_code(admin, rep, secret):
    field = CustomField.objects.create(entity=ACCOUNT, code="rating", label="Rating",
                                       type="text")
    FieldRestriction.objects.create(entity=ACCOUNT, field="custom.rating",
                                    hidden_from=["sales_rep"])
    response = patch(admin, f"/api/v1/custom-fields/{field.pk}/", {"code": "credit_rating"})
    assert response.status_code == 200
    assert FieldRestriction.objects.filter(field="custom.credit_rating").exists()
    response = patch(rep, f"{ACCOUNTS}{secret['big'].pk}/", {"custom": {"credit_rating": "A"}})
    assert response.status_code == 400
