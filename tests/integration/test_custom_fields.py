"""Custom fields: definitions managed by a tenant admin (API and settings pages), typed values
through the record API, forms, detail pages, filters, exports and history, and isolation
between tenants."""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from crm_apps.customers.models import Account, Contact
from crm_apps.customization.models import CustomField, FieldRestriction
from tests.fixtures.world import post, signed_in

FIELDS = "/api/v1/custom-fields/"
ACCOUNTS = "/api/v1/accounts/"
CONTACTS = "/api/v1/contacts/"
SETTINGS = "/app/settings/fields/"
ACCOUNT = "customers.account"


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


@pytest.fixture
def defined(in_acme):
    """One custom field of each type on accounts."""
    make = CustomField.objects.create
    return {
        "text": make(entity=ACCOUNT, code="vat_number", label="VAT number",
                     label_zh_hans="税号", type="text", position=1),
        "number": make(entity=ACCOUNT, code="employees", label="Employees", type="number",
                       position=2),
        "money": make(entity=ACCOUNT, code="contract_value", label="Contract value",
                      label_zh_hans="合同金额", type="money", currency="CNY", position=3),
        "date": make(entity=ACCOUNT, code="renewal", label="Renewal", label_zh_hans="续约日",
                     type="date", position=4),
        "choice": make(entity=ACCOUNT, code="segment", label="Segment", type="choice",
                       position=5, choices=[
                           {"value": "smb", "label": "Small business", "label_zh_hans": "小企业"},
                           {"value": "ent", "label": "Enterprise", "label_zh_hans": "大企业"}]),
        "multi_choice": make(entity=ACCOUNT, code="channels", label="Channels",
                             type="multi_choice", position=6, choices=[
                                 {"value": "web", "label": "Web", "label_zh_hans": "网站"},
                                 {"value": "phone", "label": "Phone", "label_zh_hans": "电话"},
                                 {"value": "shop", "label": "Shop", "label_zh_hans": "门店"}]),
    }


@pytest.fixture
def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


@pytest.fixture
def rep(in_acme):
    return signed_in(in_acme.host, in_acme.rep_email)


# --- Managing definitions -------------------------------------------------------------------

def test_a_tenant_admin_adds_every_type_of_field_through_the_api(admin):
    payloads = [
        {"entity": ACCOUNT, "code": "vat", "label": "VAT", "type": "text"},
        {"entity": ACCOUNT, "code": "staff", "label": "Staff", "type": "number"},
        {"entity": ACCOUNT, "code": "deal", "label": "Deal", "type": "money",
         "currency": "cny"},
        {"entity": ACCOUNT, "code": "since", "label": "Since", "type": "date"},
        {"entity": "customers.contact", "code": "size", "label": "Shirt size",
         "type": "choice", "choices": [{"value": "s"}, {"value": "m", "label": "Medium"}]},
        {"entity": "customers.contact", "code": "langs", "label": "Languages",
         "type": "multi_choice", "choices": [{"value": "en", "label": "English",
                                              "label_zh_hans": "英语"}]},
    ]
    for payload in payloads:
        response = post(admin, FIELDS, payload)
        assert response.status_code == 201, response.content
    deal = CustomField.objects.get(code="deal")
    assert deal.currency == "CNY"
    assert CustomField.objects.get(code="size").choices[0] == {
        "value": "s", "label": "s", "label_zh_hans": ""}
    listed = admin.get(f"{FIELDS}?entity=customers.contact").json()["results"]
    assert [row["code"] for row in listed] == ["size", "langs"]
    assert patch(admin, f"{FIELDS}{deal.pk}/", {"label": "Deal size"}).status_code == 200


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"entity": "customers.nothing", "code": "x", "label": "X", "type": "text"}, "entity",
     "record types"),
    ({"entity": ACCOUNT, "code": "VAT-no", "label": "X", "type": "text"}, "code", "lowercase"),
    ({"entity": ACCOUNT, "code": "2fast", "label": "X", "type": "text"}, "code", "lowercase"),
    ({"entity": ACCOUNT, "code": "name", "label": "X", "type": "text"}, "code", "built-in"),
    ({"entity": ACCOUNT, "code": "annual_revenue", "label": "X", "type": "text"}, "code",
     "built-in"),
    ({"entity": ACCOUNT, "code": "size_min", "label": "X", "type": "text"}, "code", "_min"),
    ({"entity": ACCOUNT, "code": "vat_number", "label": "X", "type": "text"}, "code",
     "already has"),
    ({"entity": ACCOUNT, "code": "x", "label": "X", "type": "colour"}, "type", "types"),
    ({"entity": ACCOUNT, "code": "x", "label": "X", "type": "choice"}, "choices",
     "at least one"),
    ({"entity": ACCOUNT, "code": "x", "label": "X", "type": "choice", "choices": []},
     "choices", "at least one"),
    ({"entity": ACCOUNT, "code": "x", "label": "X", "type": "multi_choice",
      "choices": [{"value": "a"}, {"value": "A"}]}, "choices", "twice"),
    ({"entity": ACCOUNT, "code": "x", "label": "X", "type": "multi_choice",
      "choices": [{"value": "a,b"}]}, "choices", "commas"),
    ({"entity": ACCOUNT, "code": "x", "label": "X", "type": "money", "currency": "yuan"},
     "currency", "three-letter"),
    ({"entity": ACCOUNT, "code": "x", "type": "text"}, "label", "required"),
])
def test_bad_definitions_are_refused_with_the_field_named(admin, defined, payload, field,
                                                          words):
    response = post(admin, FIELDS, payload)
    assert response.status_code == 400, response.content
    assert words in " ".join(map(str, response.json()[field]))


def test_staff_read_definitions_but_only_tenant_admins_change_them(rep, defined):
    listed = rep.get(FIELDS)
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == len(defined)
    one = defined["text"]
    assert post(rep, FIELDS, {"entity": ACCOUNT, "code": "x", "label": "X",
                              "type": "text"}).status_code == 403
    assert patch(rep, f"{FIELDS}{one.pk}/", {"label": "Y"}).status_code == 403
    assert rep.delete(f"{FIELDS}{one.pk}/").status_code == 403
    assert CustomField.objects.filter(pk=one.pk, label="VAT number").exists()


def test_the_type_cannot_change_once_records_hold_values(admin, defined):
    number = defined["number"]
    assert patch(admin, f"{FIELDS}{number.pk}/", {"type": "text"}).status_code == 200
    assert patch(admin, f"{FIELDS}{number.pk}/", {"type": "number"}).status_code == 200
    Account.objects.create(name="Holder", custom={"employees": "12"})
    response = patch(admin, f"{FIELDS}{number.pk}/", {"type": "text"})
    assert response.status_code == 400
    assert "cannot change once records hold values" in response.json()["type"][0]
    response = patch(admin, f"{FIELDS}{number.pk}/", {"code": "headcount"})
    assert response.status_code == 400
    assert "code" in response.json()
    number.refresh_from_db()
    assert (number.type, number.code) == ("number", "employees")


def test_deleting_a_field_removes_its_values_from_every_record(admin, defined):
    keep = Account.objects.create(name="Keep", custom={"vat_number": "V1", "employees": "5"})
    binned = Account.objects.create(name="Binned", custom={"vat_number": "V2"})
    binned.soft_delete()
    untouched = Account.objects.create(name="Untouched", custom={"employees": "7"})
    FieldRestriction.objects.create(entity=ACCOUNT, field="custom.vat_number",
                                    hidden_from=["sales_rep"])
    response = admin.delete(f"{FIELDS}{defined['text'].pk}/")
    assert response.status_code == 204
    assert not CustomField.objects.filter(code="vat_number").exists()
    keep.refresh_from_db()
    untouched.refresh_from_db()
    assert keep.custom == {"employees": "5"}
    assert Account.everything.get(pk=binned.pk).custom == {}
    assert untouched.custom == {"employees": "7"}
    assert not FieldRestriction.objects.filter(field="custom.vat_number").exists()


# --- Values through the record API ----------------------------------------------------------

@pytest.mark.parametrize(("kind", "raw", "stored"), [
    ("text", "  DE123  ", "DE123"),
    ("number", 12.5, "12.5"),
    ("number", "1,000", "1000"),
    ("money", "1250.5", "1250.50"),
    ("money", 99, "99.00"),
    ("date", "2026-11-29", "2026-11-29"),
    ("date", "2026年3月1日", "2026-03-01"),
    ("choice", "ent", "ent"),
    ("choice", "Small business", "smb"),
    ("multi_choice", ["shop", "web", "web"], ["shop", "web"]),
])
def test_each_type_takes_a_valid_value(rep, defined, kind, raw, stored):
    code = defined[kind].code
    response = post(rep, ACCOUNTS, {"name": f"Valid {kind}", "custom": {code: raw}})
    assert response.status_code == 201, response.content
    assert response.json()["custom"] == {code: stored}
    assert Account.objects.get(pk=response.json()["id"]).custom == {code: stored}


@pytest.mark.parametrize(("kind", "raw", "words"), [
    ("text", {"nested": 1}, "Enter text"),
    ("text", "x" * 1001, "at most"),
    ("number", "twelve", "Enter a number"),
    ("number", True, "Enter a number"),
    ("money", "10.005", "two decimal places"),
    ("date", "2026-02-30", "Enter a date"),
    ("choice", "gold", "not one of the choices"),
    ("multi_choice", ["web", "fax"], "not one of the choices"),
    ("multi_choice", 5, "list"),
])
def test_each_type_refuses_a_bad_value_naming_the_field(rep, defined, kind, raw, words):
    code = defined[kind].code
    response = post(rep, ACCOUNTS, {"name": f"Bad {kind}", "custom": {code: raw}})
    assert response.status_code == 400
    assert words in response.json()["custom"][code][0]
    assert not Account.objects.filter(name=f"Bad {kind}").exists()


def test_unknown_codes_and_malformed_custom_objects_are_refused(rep, defined):
    response = post(rep, ACCOUNTS, {"name": "X", "custom": {"nope": "1"}})
    assert response.status_code == 400
    assert response.json()["custom"]["nope"] == ["No custom field has this code."]
    response = post(rep, ACCOUNTS, {"name": "X", "custom": ["vat_number", "1"]})
    assert response.status_code == 400
    assert "custom" in response.json()
    # A contact does not take an account's fields.
    response = post(rep, CONTACTS, {"email": "a@example.com", "custom": {"vat_number": "1"}})
    assert response.status_code == 400


def test_patch_merges_custom_values_and_null_clears_one(rep, defined):
    created = post(rep, ACCOUNTS, {"name": "Merge", "custom": {
        "vat_number": "V1", "employees": 10, "channels": ["web"]}}).json()
    path = f"{ACCOUNTS}{created['id']}/"
    changed = patch(rep, path, {"custom": {"employees": "11"}})
    assert changed.status_code == 200
    assert changed.json()["custom"] == {"vat_number": "V1", "employees": "11",
                                        "channels": ["web"]}
    changed = patch(rep, path, {"custom": {"vat_number": None, "channels": []}})
    assert changed.json()["custom"] == {"employees": "11"}
    changed = patch(rep, path, {"tier": "gold"})  # other fields leave the values alone
    assert changed.json()["custom"] == {"employees": "11"}


def test_a_required_field_is_enforced_on_create_and_when_blanked(rep, defined):
    CustomField.objects.filter(pk=defined["choice"].pk).update(required=True)
    old = Account.objects.create(name="Before the rule", owner=get_user_model().objects.get(
        email="rep@acme.example"))
    response = post(rep, ACCOUNTS, {"name": "No segment"})
    assert response.status_code == 400
    assert response.json() == {"custom": {"segment": ["This field is required."]}}
    assert post(rep, ACCOUNTS, {"name": "With segment",
                                "custom": {"segment": "smb"}}).status_code == 201
    path = f"{ACCOUNTS}{old.pk}/"
    # A record from before the rule can still be edited without it...
    assert patch(rep, path, {"tier": "gold"}).status_code == 200
    assert patch(rep, path, {"custom": {"segment": "ent"}}).status_code == 200
    # ...but a value cannot be blanked.
    response = patch(rep, path, {"custom": {"segment": ""}})
    assert response.status_code == 400
    assert response.json()["custom"]["segment"] == ["This field is required."]


def test_annual_revenue_is_in_the_account_api(rep):
    created = post(rep, ACCOUNTS, {"name": "Revenue", "annual_revenue": "1250000.50"})
    assert created.status_code == 201
    assert created.json()["annual_revenue"] == "1250000.50"
    assert post(rep, ACCOUNTS, {"name": "Neg", "annual_revenue": "-1"}).status_code == 400


# --- Filters ---------------------------------------------------------------------------------

@pytest.fixture
def filled(in_acme, defined):
    owner = get_user_model().objects.get(email="rep@acme.example")

    def make(name, **custom):
        return Account.objects.create(name=name, owner=owner, custom=custom)

    make("Alpha", vat_number="DE-ALPHA", employees="9", contract_value="100.00",
         renewal="2026-01-15", segment="smb", channels=["phone", "web"])
    make("Beta", vat_number="de-beta", employees="250", contract_value="5000.00",
         renewal="2026-06-30", segment="ent", channels=["shop"])
    make("Gamma", employees="1000", contract_value="99999.99", renewal="2027-01-01",
         segment="ent", channels=["web"])
    make("Empty")
    Account.objects.create(name="Alpha annual", annual_revenue="2000000", owner=owner)
    Account.objects.create(name="Beta annual", annual_revenue="50000", owner=owner)


def listed(client, query):
    response = client.get(f"{ACCOUNTS}?{query}")
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


@pytest.mark.parametrize(("query", "names"), [
    ("cf_vat_number=de-", ["Alpha", "Beta"]),
    ("cf_vat_number=ALPHA", ["Alpha"]),
    ("cf_segment=ent", ["Beta", "Gamma"]),
    ("cf_channels=web", ["Alpha", "Gamma"]),
    ("cf_employees=250", ["Beta"]),
    ("cf_employees_min=100", ["Beta", "Gamma"]),
    ("cf_employees_min=10&cf_employees_max=999", ["Beta"]),
    ("cf_contract_value_max=5000", ["Alpha", "Beta"]),
    ("cf_contract_value=100", ["Alpha"]),
    ("cf_renewal_min=2026-02-01&cf_renewal_max=2026-12-31", ["Beta"]),
    ("cf_renewal=2027-01-01", ["Gamma"]),
    ("annual_revenue_min=100000", ["Alpha annual"]),
    ("annual_revenue_max=100000", ["Beta annual"]),
    ("cf_segment=smb&cf_channels=web", ["Alpha"]),
])
def test_api_filters_by_custom_fields_and_revenue(rep, filled, query, names):
    assert listed(rep, query) == names


@pytest.mark.parametrize("query", [
    "cf_employees_min=many", "cf_renewal_max=soon", "cf_segment=gold", "cf_channels=fax",
    "annual_revenue_min=lots",
])
def test_malformed_filter_values_are_a_400(rep, filled, query):
    response = rep.get(f"{ACCOUNTS}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_the_list_page_filters_by_custom_fields(in_acme, rep, filled):
    page = rep.get("/app/customers/accounts/?cf_segment=ent&cf_employees_min=500")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Gamma" in text
    assert "Beta" not in text
    assert "Alpha" not in text


def test_contacts_have_their_own_custom_fields(rep, in_acme):
    CustomField.objects.create(entity="customers.contact", code="birthday", label="Birthday",
                               type="date")
    created = post(rep, CONTACTS, {"email": "bday@example.com",
                                   "custom": {"birthday": "1990-05-04"}})
    assert created.status_code == 201, created.content
    assert created.json()["custom"] == {"birthday": "1990-05-04"}
    post(rep, CONTACTS, {"email": "other@example.com"})
    rows = rep.get(f"{CONTACTS}?cf_birthday_max=1999-12-31").json()["results"]
    assert [row["email"] for row in rows] == ["bday@example.com"]


# --- Export, history -------------------------------------------------------------------------

def test_exports_carry_a_column_per_custom_field(rep, filled):
    response = rep.get(f"{ACCOUNTS}export/?file=csv&cf_segment=ent")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = {row["name"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(table) == {"Beta", "Gamma"}
    header = next(csv.reader(io.StringIO(text)))
    assert header[-6:] == ["custom.vat_number", "custom.employees", "custom.contract_value",
                           "custom.renewal", "custom.segment", "custom.channels"]
    assert "annual_revenue" in header
    beta = table["Beta"]
    assert beta["custom.contract_value"] == "5000.00 CNY"
    assert beta["custom.segment"] == "Enterprise"
    assert beta["custom.channels"] == "Shop"
    assert beta["custom.renewal"] == "2026-06-30"
    assert table["Gamma"]["custom.vat_number"] == ""


def test_a_custom_value_change_reads_clearly_in_the_history(rep, defined):
    created = post(rep, ACCOUNTS, {"name": "History", "custom": {"employees": 5}}).json()
    path = f"{ACCOUNTS}{created['id']}/"
    patch(rep, path, {"custom": {"employees": 6, "segment": "smb"}})
    patch(rep, path, {"custom": {"segment": None}})
    entries = rep.get(f"{path}history/").json()["results"]
    assert entries[0]["changes"] == {"custom.segment": ["smb", None]}
    assert entries[1]["changes"] == {"custom.employees": ["5", "6"],
                                     "custom.segment": [None, "smb"]}
    assert entries[2]["action"] == "created"
    assert entries[2]["changes"]["custom.employees"] == [None, "5"]


# --- Pages -----------------------------------------------------------------------------------

def test_the_account_form_shows_typed_inputs_and_saves_values(in_acme, rep, defined):
    CustomField.objects.filter(pk=defined["text"].pk).update(required=True)
    owner = get_user_model().objects.get(email="rep@acme.example")
    page = rep.get("/app/customers/accounts/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="cf_renewal"' in html
    assert 'type="date"' in html
    assert '<select name="cf_segment"' in html
    assert html.count('name="cf_channels"') == 3  # a checkbox per choice
    assert 'name="cf_contract_value"' in html
    assert ">CNY</span>" in html
    assert 'name="cf_employees"' in html
    assert 'type="number"' in html
    assert 'name="annual_revenue"' in html
    assert 'for="id_cf_vat_number">VAT number <span class="text-danger"' in html  # required

    bad = rep.post("/app/customers/accounts/new/", {
        "name": "Form Co", "cf_vat_number": "", "cf_employees": "many",
        "cf_renewal": "2026-13-01", "cf_segment": "smb"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "This field is required." in html
    assert "Enter a number." in html
    assert "Enter a date such as" in html
    assert not Account.objects.filter(name="Form Co").exists()

    good = rep.post("/app/customers/accounts/new/", {
        "name": "Form Co", "cf_vat_number": "VAT-9", "cf_employees": "42",
        "cf_contract_value": "10.5", "cf_renewal": "2026-12-01", "cf_segment": "ent",
        "cf_channels": ["web", "shop"], "annual_revenue": "300000", "owner": owner.pk})
    assert good.status_code == 302, good.content.decode()[:2000]
    account = Account.objects.get(name="Form Co")
    assert account.custom == {"vat_number": "VAT-9", "employees": "42",
                              "contract_value": "10.50", "renewal": "2026-12-01",
                              "segment": "ent", "channels": ["shop", "web"]}
    assert str(account.annual_revenue) == "300000.00"

    edit = rep.get(f"/app/customers/accounts/{account.pk}/edit/").content.decode()
    assert 'value="2026-12-01"' in edit
    assert 'value="VAT-9"' in edit
    rep.post(f"/app/customers/accounts/{account.pk}/edit/", {
        "name": "Form Co", "cf_vat_number": "VAT-9", "cf_segment": "", "owner": owner.pk})
    account.refresh_from_db()
    assert account.custom == {"vat_number": "VAT-9"}


def test_the_contact_form_takes_custom_fields_too(in_acme, rep):
    CustomField.objects.create(entity="customers.contact", code="nickname", label="Nickname",
                               type="text")
    response = rep.post("/app/customers/contacts/new/", {
        "first_name": "Ada", "email": "ada@example.com", "lifecycle_stage": "lead",
        "cf_nickname": "Countess"})
    assert response.status_code == 302
    assert Contact.objects.get(email="ada@example.com").custom == {"nickname": "Countess"}


def test_the_detail_page_shows_values_with_labels_in_the_readers_language(in_acme, rep,
                                                                           defined):
    owner = get_user_model().objects.get(email="rep@acme.example")
    account = Account.objects.create(name="Detail Co", owner=owner, custom={
        "vat_number": "VAT-1", "contract_value": "9.90", "segment": "smb",
        "channels": ["phone", "web"]})
    html = rep.get(f"/app/customers/accounts/{account.pk}/").content.decode()
    assert "VAT number" in html
    assert "VAT-1" in html
    assert "9.90 CNY" in html
    assert "Small business" in html
    assert "Phone, Web" in html
    chinese = rep.get(f"/app/customers/accounts/{account.pk}/",
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "税号" in chinese
    assert "合同金额" in chinese
    assert "小企业" in chinese


def test_a_tenant_admin_manages_fields_on_the_settings_pages(in_acme, admin, rep):
    assert "/app/settings/fields/" in admin.get("/app/customers/accounts/").content.decode()
    assert "/app/settings/fields/" not in rep.get("/app/customers/accounts/").content.decode()
    page = admin.get(f"{SETTINGS}new/?entity={ACCOUNT}")
    assert page.status_code == 200
    response = admin.post(f"{SETTINGS}new/?entity={ACCOUNT}", {
        "label": "Region", "label_zh_hans": "大区", "code": "sales_region",
        "type": "choice", "choices_text": "north | North | 北区\nsouth | South\n\neast",
        "position": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    field = CustomField.objects.get(code="sales_region")
    assert field.entity == ACCOUNT
    assert field.choices == [
        {"value": "north", "label": "North", "label_zh_hans": "北区"},
        {"value": "south", "label": "South", "label_zh_hans": ""},
        {"value": "east", "label": "east", "label_zh_hans": ""}]
    listing = admin.get(SETTINGS).content.decode()
    assert "sales_region" in listing
    edit = admin.get(f"{SETTINGS}{field.pk}/edit/").content.decode()
    assert "north | North | 北区" in edit
    bad = admin.post(f"{SETTINGS}{field.pk}/edit/", {
        "label": "Region", "code": "sales_region", "type": "choice",
        "choices_text": "north\nNorth", "position": "1"})
    assert bad.status_code == 200
    assert "appears twice" in bad.content.decode()
    bad = admin.post(f"{SETTINGS}new/?entity={ACCOUNT}", {
        "label": "X", "code": "Bad Code", "type": "text", "position": "1"})
    assert bad.status_code == 200
    assert "lowercase letters" in bad.content.decode()
    assert admin.get(f"{SETTINGS}new/?entity=nothing").status_code == 404
    Account.objects.create(name="Holder", custom={"sales_region": "north"})
    confirm = admin.get(f"{SETTINGS}{field.pk}/delete/").content.decode()
    assert "1 record" in confirm
    assert admin.post(f"{SETTINGS}{field.pk}/delete/").status_code == 302
    assert not CustomField.objects.filter(pk=field.pk).exists()
    assert Account.objects.get(name="Holder").custom == {}


def test_other_staff_get_a_403_on_the_settings_pages(in_acme, rep, defined):
    pk = defined["text"].pk
    for path in (SETTINGS, f"{SETTINGS}new/?entity={ACCOUNT}", f"{SETTINGS}{pk}/edit/",
                 f"{SETTINGS}{pk}/delete/", f"{SETTINGS}hidden/"):
        assert rep.get(path).status_code == 403, path
    assert rep.post(f"{SETTINGS}{pk}/delete/").status_code == 403
    assert CustomField.objects.filter(pk=pk).exists()


# --- Isolation -------------------------------------------------------------------------------

def test_a_tenants_fields_stay_in_that_tenant(acme, globex):
    globex_admin = signed_in(globex.host, globex.admin_email)
    created = post(globex_admin, FIELDS, {"entity": ACCOUNT, "code": "globex_only",
                                          "label": "Globex only", "type": "text"})
    assert created.status_code == 201
    with tenant_context(acme.tenant):
        acme_field = CustomField.objects.create(entity=ACCOUNT, code="acme_only",
                                                label="Acme only", type="text")
        if acme_field.pk == created.json()["id"]:  # each schema numbers its own rows
            acme_field.delete()
            acme_field = CustomField.objects.create(entity=ACCOUNT, code="acme_only",
                                                    label="Acme only", type="text")
    codes = [row["code"] for row in globex_admin.get(FIELDS).json()["results"]]
    assert codes == ["globex_only"]
    assert globex_admin.get(f"{FIELDS}{acme_field.pk}/").status_code == 404
    assert patch(globex_admin, f"{FIELDS}{acme_field.pk}/", {"label": "x"}).status_code == 404
    assert globex_admin.delete(f"{FIELDS}{acme_field.pk}/").status_code == 404
    assert globex_admin.get(f"{SETTINGS}{acme_field.pk}/edit/").status_code == 404
    acme_admin = signed_in(acme.host, acme.admin_email)
    codes = [row["code"] for row in acme_admin.get(FIELDS).json()["results"]]
    assert codes == ["acme_only"]
    form = acme_admin.get("/app/customers/accounts/new/").content.decode()
    assert "cf_acme_only" in form
    assert "globex_only" not in form
    response = post(acme_admin, ACCOUNTS, {"name": "X", "custom": {"globex_only": "1"}})
    assert response.status_code == 400
    with tenant_context(acme.tenant):
        assert CustomField.objects.get(pk=acme_field.pk).label == "Acme only"
