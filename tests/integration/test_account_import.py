"""Account import over the API: fields, Chinese headers and GB18030, tags, parents, owners,
duplicates by domain and by name, custom fields, hidden fields, the error report and its
access rules, dry runs, and isolation between tenants."""

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Tag
from crm_apps.customization.models import CustomField, FieldRestriction
from realtime.models import Job
from tests.fixtures.world import PASSWORD, signed_in

IMPORT = "/api/v1/imports/accounts/"
PREVIEW = "/api/v1/imports/accounts/preview/"
ACCOUNT = "customers.account"


@pytest.fixture
def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


@pytest.fixture
def rep(in_acme):
    return signed_in(in_acme.host, in_acme.rep_email)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def start(client, capture, name, data, mapping, duplicates="skip", **extra):
    with capture(execute=True):
        response = client.post(IMPORT, {"file": upload(name, data),
                                        "mapping": json.dumps(mapping),
                                        "duplicates": duplicates, **extra})
    return response


def run_import(client, capture, name, data, mapping, duplicates="skip", **extra) -> Job:
    response = start(client, capture, name, data, mapping, duplicates, **extra)
    assert response.status_code == 202, response.content
    assert response.json()["kind"] == "account-import"
    return Job.objects.get(pk=response.json()["id"])


def report_rows(client, job: Job) -> list[list[str]]:
    url = client.get(f"/api/v1/jobs/{job.pk}/").json()["errors_url"]
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


FULL_HEADERS = ["Name", "Industry", "Size", "Tier", "Website", "Phone", "Street", "City",
                "Region", "Postal code", "Country", "Territory", "Parent", "Annual revenue",
                "Owner", "Tags"]
FULL_MAPPING = {"Name": "name", "Industry": "industry", "Size": "size", "Tier": "tier",
                "Website": "website", "Phone": "phone", "Street": "street", "City": "city",
                "Region": "region", "Postal code": "postal_code", "Country": "country",
                "Territory": "territory", "Parent": "parent",
                "Annual revenue": "annual_revenue", "Owner": "owner", "Tags": "tags"}


def test_a_csv_fills_every_account_field(in_acme, admin, django_capture_on_commit_callbacks):
    Tag.objects.create(name="VIP")
    holding = Account.objects.create(name="Wayne Holdings")
    rows = [FULL_HEADERS,
            ["Wayne Enterprises", "Conglomerate", "1000+", "Gold", "https://www.wayne.example/",
             "+1 555 0100", "1007 Mountain Drive", "Gotham", "NJ", "07001", "us", "East",
             "wayne holdings", "1,250,000.50", "rep@acme.example", "vip, 重点客户"],
            ["Wayne Foundation", "Charity", "10–49 employees", "silver", "foundation.example",
             "", "", "", "", "", "", "", "Wayne Enterprises", "", "", "重点客户；Charity"]]
    job = run_import(admin, django_capture_on_commit_callbacks, "accounts.csv",
                     csv_bytes(rows), FULL_MAPPING)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.failed == 0, job.errors
    assert job.result["created"] == 2
    assert job.result["tags_created"] == 2
    wayne = Account.objects.get(name="Wayne Enterprises")
    assert (wayne.industry, wayne.size, wayne.tier, wayne.website, wayne.domain) == (
        "Conglomerate", "1000+", "gold", "https://www.wayne.example/", "wayne.example")
    assert (wayne.phone, wayne.street, wayne.city, wayne.region, wayne.postal_code,
            wayne.country, wayne.territory) == (
        "+1 555 0100", "1007 Mountain Drive", "Gotham", "NJ", "07001", "US", "East")
    assert wayne.parent_id == holding.pk  # an existing account, by name in any case
    assert wayne.annual_revenue == Decimal("1250000.50")
    assert wayne.owner.email == "rep@acme.example"
    assert sorted(wayne.tags.values_list("name", flat=True)) == ["VIP", "重点客户"]
    foundation = Account.objects.get(name="Wayne Foundation")
    assert foundation.parent_id == wayne.pk  # a row earlier in the file
    assert foundation.size == "10-49"  # by label
    assert foundation.website == "https://foundation.example"
    assert foundation.domain == "foundation.example"
    assert foundation.owner.email == in_acme.admin_email  # the importer by default
    assert sorted(foundation.tags.values_list("name", flat=True)) == ["Charity", "重点客户"]
    assert Tag.objects.filter(name__iexact="vip").count() == 1
    entry = AuditEntry.objects.get(record_type="customers.account", record_id="*",
                                   action="created")
    assert entry.changes == {"import": str(job.pk), "rows": 2}


def test_chinese_headers_in_gb18030_are_suggested_and_imported(
        in_acme, admin, django_capture_on_commit_callbacks):
    rows = [["公司名称", "行业", "等级", "网站", "电话", "城市", "省份", "国家", "上级公司",
             "负责人", "标签", "年收入"],
            ["北京科技有限公司", "软件", "金牌", "www.bjtech.cn", "010-12345678", "北京", "北京",
             "CN", "", "rep@acme.example", "重点，华北", "¥8,000,000"],
            ["北京科技上海分公司", "软件", "银牌", "", "", "上海", "上海", "cn", "北京科技有限公司",
             "", "华东", ""]]
    data = csv_bytes(rows, encoding="gb18030")
    body = admin.post(PREVIEW, {"file": upload("客户.csv", data)}).json()
    assert body["encoding"] == "gb18030"
    assert body["kind"] == "accounts"
    assert body["mapping"] == {"公司名称": "name", "行业": "industry", "等级": "tier",
                               "网站": "website", "电话": "phone", "城市": "city",
                               "省份": "region", "国家": "country", "上级公司": "parent",
                               "负责人": "owner", "标签": "tags", "年收入": "annual_revenue"}
    assert body["rows"][0]["公司名称"] == "北京科技有限公司"
    job = run_import(admin, django_capture_on_commit_callbacks, "客户.csv", data,
                     body["mapping"])
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.failed == 0, job.errors
    beijing = Account.objects.get(name="北京科技有限公司")
    assert (beijing.tier, beijing.domain, beijing.country) == ("gold", "bjtech.cn", "CN")
    assert beijing.annual_revenue == Decimal("8000000.00")
    assert sorted(beijing.tags.values_list("name", flat=True)) == ["华北", "重点"]
    branch = Account.objects.get(name="北京科技上海分公司")
    assert branch.tier == "silver"  # by its Chinese label
    assert branch.parent_id == beijing.pk


def test_an_xlsx_with_numbers_is_imported(in_acme, admin, django_capture_on_commit_callbacks):
    rows = [["Account name", "Phone", "Annual revenue", "Postcode"],
            ["Globo Gym", 5550199, 125000.5, 10001]]
    job = run_import(admin, django_capture_on_commit_callbacks, "gyms.xlsx", xlsx_bytes(rows),
                     {"Account name": "name", "Phone": "phone",
                      "Annual revenue": "annual_revenue", "Postcode": "postal_code"})
    assert job.failed == 0, job.errors
    gym = Account.objects.get(name="Globo Gym")
    assert (gym.phone, gym.postal_code, gym.annual_revenue) == ("5550199", "10001",
                                                                Decimal("125000.50"))


BAD_ROWS = [["Name", "Tier", "Website", "Country", "Parent", "Owner", "Annual revenue", "Tags"],
            ["Good Co", "", "", "", "", "", "", ""],
            ["", "gold", "", "", "", "", "", ""],
            ["Tiered", "diamond", "", "", "", "", "", ""],
            ["Webbed", "", "not a site", "", "", "", "", ""],
            ["Countried", "", "", "China", "", "", "", ""],
            ["Orphan", "", "", "", "Nowhere Ltd", "", "", ""],
            ["Owned", "", "", "", "", "nobody@acme.example", "", ""],
            ["Rich", "", "", "", "", "", "lots", ""],
            ["Tagged", "", "", "", "", "", "", "x" * 61],
            ["Child First", "", "", "", "Later Parent", "", "", ""],
            ["Later Parent", "", "", "", "", "", "", ""],
            ["Selfish", "", "", "", "selfish", "", "", ""]]
BAD_MAPPING = {"Name": "name", "Tier": "tier", "Website": "website", "Country": "country",
               "Parent": "parent", "Owner": "owner", "Annual revenue": "annual_revenue",
               "Tags": "tags"}


def test_bad_rows_are_reported_with_their_cells(in_acme, admin,
                                                django_capture_on_commit_callbacks):
    job = run_import(admin, django_capture_on_commit_callbacks, "bad.csv",
                     csv_bytes(BAD_ROWS), BAD_MAPPING)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["created"] == 2
    assert set(Account.objects.values_list("name", flat=True)) >= {"Good Co", "Later Parent"}
    assert job.failed == 10
    rows = report_rows(admin, job)
    assert rows[0] == ["Row", "Column", "Field", "Value", "Problem", *BAD_ROWS[0]]
    by_row = {row[0]: row for row in rows[1:]}
    assert set(by_row) == {str(number) for number in (3, 4, 5, 6, 7, 8, 9, 10, 11, 13)}
    assert by_row["3"][1:4] == ["Name", "Name", ""]
    assert "no account name" in by_row["3"][4]
    assert by_row["4"][1:4] == ["Tier", "Tier", "diamond"]
    assert "not a valid tier" in by_row["4"][4]
    assert by_row["5"][3] == "not a site"
    assert "two-letter country code" in by_row["6"][4]
    assert by_row["7"][1:4] == ["Parent", "Parent account (name)", "Nowhere Ltd"]
    assert "must exist or come earlier" in by_row["7"][4]
    assert "No colleague" in by_row["8"][4]
    assert "not an amount" in by_row["9"][4]
    assert "longer than 60" in by_row["10"][4]
    assert "come earlier" in by_row["11"][4]  # the parent comes later in the file
    assert "own parent" in by_row["13"][4]
    assert by_row["6"][5:] == BAD_ROWS[5]  # the original cells, beside their headers


@pytest.mark.parametrize(("mode", "expected"), [
    ("skip", {"created": 1, "updated": 0, "skipped": 3}),
    ("update", {"created": 1, "updated": 2, "skipped": 0}),
    ("create", {"created": 4, "updated": 0, "skipped": 0}),
])
def test_duplicates_by_domain_and_by_name(in_acme, admin, django_capture_on_commit_callbacks,
                                          mode, expected):
    by_domain = Account.objects.create(name="Initech", website="https://initech.example",
                                       industry="Software", city="Austin")
    by_name = Account.objects.create(name="Umbrella Corp", industry="Pharma", city="Raccoon")
    rows = [["Name", "Website", "Industry", "City", "Tags"],
            # same domain, another name: the domain decides
            ["Initech Inc.", "http://www.INITECH.example/contact", "", "Dallas", "tps"],
            # no website, same name in another case
            ["UMBRELLA CORP", "", "Biotech", "", ""],
            ["Fresh Ltd", "fresh.example", "Retail", "", ""],
            # same domain as the row before: a duplicate within the file
            ["Fresh Limited", "https://fresh.example", "Grocery", "Leeds", ""]]
    job = run_import(admin, django_capture_on_commit_callbacks, "dups.csv", csv_bytes(rows),
                     {"Name": "name", "Website": "website", "Industry": "industry",
                      "City": "city", "Tags": "tags"}, duplicates=mode)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.failed == 0, job.errors
    assert {key: job.result[key] for key in expected} == expected
    by_domain.refresh_from_db()
    by_name.refresh_from_db()
    if mode == "skip":
        assert (by_domain.name, by_domain.city) == ("Initech", "Austin")
        assert by_name.industry == "Pharma"
        assert Account.objects.get(domain="fresh.example").industry == "Retail"
    elif mode == "update":
        # Filled cells win, blank cells keep what the account had; tags are added.
        assert (by_domain.name, by_domain.industry, by_domain.city) == (
            "Initech Inc.", "Software", "Dallas")
        assert by_domain.domain == "initech.example"
        assert list(by_domain.tags.values_list("name", flat=True)) == ["tps"]
        assert (by_name.name, by_name.industry, by_name.city) == (
            "UMBRELLA CORP", "Biotech", "Raccoon")
        fresh = Account.objects.get(domain="fresh.example")  # merged within the file
        assert (fresh.name, fresh.industry, fresh.city) == ("Fresh Limited", "Grocery",
                                                            "Leeds")
    else:
        assert Account.objects.filter(domain="initech.example").count() == 2
        assert Account.objects.filter(name__iexact="umbrella corp").count() == 2
        assert Account.objects.filter(domain="fresh.example").count() == 2


def test_custom_fields_are_mapped_by_label_and_parsed(in_acme, admin,
                                                      django_capture_on_commit_callbacks):
    CustomField.objects.create(entity=ACCOUNT, code="vat_number", label="VAT number",
                               label_zh_hans="税号", type="text")
    CustomField.objects.create(entity=ACCOUNT, code="renewal", label="Renewal",
                               label_zh_hans="续约日", type="date")
    CustomField.objects.create(
        entity=ACCOUNT, code="segment", label="Segment", type="choice", choices=[
            {"value": "smb", "label": "Small business", "label_zh_hans": "小企业"},
            {"value": "ent", "label": "Enterprise", "label_zh_hans": "大企业"}])
    existing = Account.objects.create(name="Kept Ltd", custom={"vat_number": "OLD-1",
                                                               "segment": "smb"})
    rows = [["名称", "税号", "续约日", "Segment"],
            ["Kept Ltd", "", "2027-01-31", "大企业"],
            ["New Co", "CN-991", "2027年3月1日", "Small business"]]
    body = admin.post(PREVIEW, {"file": upload("custom.csv", csv_bytes(rows))}).json()
    assert body["mapping"] == {"名称": "name", "税号": "custom.vat_number",
                               "续约日": "custom.renewal", "Segment": "custom.segment"}
    assert body["fields"]["custom.vat_number"] == "VAT number"
    job = run_import(admin, django_capture_on_commit_callbacks, "custom.csv", csv_bytes(rows),
                     body["mapping"], duplicates="update")
    assert job.failed == 0, job.errors
    existing.refresh_from_db()
    # Update mode merges: the blank VAT cell keeps the stored value.
    assert existing.custom == {"vat_number": "OLD-1", "segment": "ent",
                               "renewal": "2027-01-31"}
    new = Account.objects.get(name="New Co")
    assert new.custom == {"vat_number": "CN-991", "renewal": "2027-03-01", "segment": "smb"}


def test_an_invalid_custom_value_is_a_row_error_and_writes_nothing(
        in_acme, admin, django_capture_on_commit_callbacks):
    CustomField.objects.create(entity=ACCOUNT, code="employees", label="Employees",
                               type="number", required=True)
    rows = [["Name", "Employees"], ["Counted", "120"], ["Uncounted", "many"], ["Blank", ""]]
    job = run_import(admin, django_capture_on_commit_callbacks, "emp.csv", csv_bytes(rows),
                     {"Name": "name", "Employees": "custom.employees"})
    assert job.result["created"] == 1
    assert Account.objects.get(name="Counted").custom == {"employees": "120"}
    assert not Account.objects.filter(name__in=["Uncounted", "Blank"]).exists()
    rows = report_rows(admin, job)
    by_row = {row[0]: row for row in rows[1:]}
    assert by_row["3"][1:4] == ["Employees", "Employees", "many"]
    assert "Enter a number" in by_row["3"][4]
    assert "required" in by_row["4"][4]


@pytest.fixture
def hidden_from_reps(in_acme):
    CustomField.objects.create(entity=ACCOUNT, code="margin", label="Margin", type="number")
    FieldRestriction.objects.create(entity=ACCOUNT, field="custom.margin",
                                    hidden_from=[SALES_REP])
    FieldRestriction.objects.create(entity=ACCOUNT, field="annual_revenue",
                                    hidden_from=[SALES_REP])


@pytest.mark.parametrize("field", ["annual_revenue", "custom.margin"])
def test_hidden_fields_are_not_offered_and_mapping_them_is_refused(
        in_acme, rep, admin, hidden_from_reps, django_capture_on_commit_callbacks, field):
    rows = [["Name", "Annual revenue", "Margin"], ["Secretive", "100", "12"]]
    body = rep.post(PREVIEW, {"file": upload("h.csv", csv_bytes(rows))}).json()
    assert "annual_revenue" not in body["fields"]
    assert "custom.margin" not in body["fields"]
    assert body["mapping"] == {"Name": "name"}
    column = "Annual revenue" if field == "annual_revenue" else "Margin"
    response = start(rep, django_capture_on_commit_callbacks, "h.csv", csv_bytes(rows),
                     {"Name": "name", column: field})
    assert response.status_code == 400
    assert "may not import into" in response.json()["detail"]
    assert not Job.objects.filter(kind="account-import").exists()
    # A tenant admin sees and fills both.
    body = admin.post(PREVIEW, {"file": upload("h.csv", csv_bytes(rows))}).json()
    assert body["mapping"] == {"Name": "name", "Annual revenue": "annual_revenue",
                               "Margin": "custom.margin"}
    job = run_import(admin, django_capture_on_commit_callbacks, "h.csv", csv_bytes(rows),
                     body["mapping"])
    secretive = Account.objects.get(name="Secretive")
    assert (secretive.annual_revenue, secretive.custom) == (Decimal("100.00"),
                                                            {"margin": "12"})
    assert job.failed == 0


def test_a_remembered_mapping_drops_fields_hidden_from_the_user(
        in_acme, rep, admin, hidden_from_reps, django_capture_on_commit_callbacks):
    rows = [["Company", "Money"], ["Remembered", "5"]]
    run_import(admin, django_capture_on_commit_callbacks, "m.csv", csv_bytes(rows),
               {"Company": "name", "Money": "annual_revenue"})
    assert admin.post(PREVIEW, {"file": upload("m.csv", csv_bytes(rows))}).json()[
        "mapping"] == {"Company": "name", "Money": "annual_revenue"}
    body = rep.post(PREVIEW, {"file": upload("m.csv", csv_bytes(rows))}).json()
    assert body["mapping_source"] == "remembered"
    assert body["mapping"] == {"Company": "name"}


def test_a_rep_cannot_update_accounts_they_do_not_see(in_acme, rep,
                                                      django_capture_on_commit_callbacks):
    admin_user = get_user_model().objects.get(email=in_acme.admin_email)
    theirs = Account.objects.create(name="Not Yours", owner=admin_user, city="Old")
    rows = [["Name", "City", "Parent"], ["not yours", "New", ""], ["Child", "", "Not Yours"]]
    job = run_import(rep, django_capture_on_commit_callbacks, "r.csv", csv_bytes(rows),
                     {"Name": "name", "City": "city", "Parent": "parent"},
                     duplicates="update")
    theirs.refresh_from_db()
    assert theirs.city == "Old"
    messages = {error["item"]: error["message"] for error in job.errors}
    assert "not yours to change" in messages["row 2"]
    assert "must exist" in messages["row 3"]  # a parent the rep cannot see is not found
    assert job.result["created"] == 0


def test_a_dry_run_reports_without_writing(in_acme, admin, django_capture_on_commit_callbacks):
    job = run_import(admin, django_capture_on_commit_callbacks, "bad.csv",
                     csv_bytes(BAD_ROWS), BAD_MAPPING, dry_run="true")
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["dry_run"] is True
    assert job.title.startswith("Check account import")
    assert (job.result["created"], job.failed) == (2, 10)
    assert not Account.objects.filter(name__in=["Good Co", "Later Parent"]).exists()
    assert not Tag.objects.exists()
    assert not AuditEntry.objects.filter(record_type="customers.account").exists()
    assert len(report_rows(admin, job)) == 11


def test_the_report_is_for_its_starter_and_the_tenant_admins(
        in_acme, globex, rep, admin, django_capture_on_commit_callbacks):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-import", name="Unlimited")
    in_acme.tenant.save()
    create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    job = run_import(rep, django_capture_on_commit_callbacks, "bad.csv",
                     csv_bytes(BAD_ROWS), BAD_MAPPING)
    url = rep.get(f"/api/v1/jobs/{job.pk}/").json()["errors_url"]
    assert url == f"/app/customers/import/reports/{job.pk}/errors.csv"
    api_url = f"/api/v1/imports/{job.pk}/report/"
    for path in (url, api_url):
        assert rep.get(path).status_code == 200
        assert b"Nowhere Ltd" in admin.get(path).content  # tenant admins too
        other_rep = signed_in(in_acme.host, "rep2@acme.example")
        assert other_rep.get(path).status_code == 404
        stranger = signed_in(globex.host, globex.admin_email)
        assert stranger.get(path).status_code == 404
    other_rep = signed_in(in_acme.host, "rep2@acme.example")
    assert other_rep.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert signed_in(globex.host, globex.admin_email).get(
        f"/api/v1/jobs/{job.pk}/").status_code == 404
    # Only import jobs have this report.
    other_job = Job.objects.create(owner=job.owner, kind="announcement", title="x", failed=1)
    assert rep.get(f"/app/customers/import/reports/{other_job.pk}/errors.csv"
                   ).status_code == 404


def test_accounts_stay_in_the_importing_tenant(in_acme, admin, globex,
                                               django_capture_on_commit_callbacks):
    rows = [["Name", "Tags"], ["Acme Only", "secret"]]
    job = run_import(admin, django_capture_on_commit_callbacks, "a.csv", csv_bytes(rows),
                     {"Name": "name", "Tags": "tags"})
    assert job.result["created"] == 1
    with tenant_context(globex.tenant):
        assert not Account.objects.filter(name="Acme Only").exists()
        assert not Tag.objects.filter(name="secret").exists()


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"mapping": json.dumps({"Tier": "tier"})}, "account name"),
    ({"mapping": json.dumps({"Name": "email"})}, "Unknown account field"),
    ({"mapping": json.dumps({"Name": "custom.nothing"})}, "Unknown account field"),
    ({"mapping": json.dumps({"Name": "name"}), "duplicates": "merge"}, "duplicates must be"),
])
def test_bad_account_requests_are_400(in_acme, admin, fields, fragment):
    response = admin.post(IMPORT, {"file": upload("a.csv", csv_bytes(BAD_ROWS)), **fields})
    assert response.status_code == 400, response.content
    assert fragment in response.json()["detail"]


def test_the_account_import_is_in_the_api_schema(in_acme, admin):
    response = admin.get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = json.loads(response.content)["paths"]
    assert "/api/v1/imports/accounts/" in paths
    assert "/api/v1/imports/accounts/preview/" in paths
    assert "/api/v1/imports/{id}/report/" in paths


def test_a_failure_half_way_leaves_no_account_or_tag(in_acme, admin, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    from crm_apps.customers import import_accounts, import_base

    monkeypatch.setattr(import_base, "BATCH_SIZE", 2)
    real_update = import_accounts.update_rows
    calls = []

    def update_then_break(model, records, names):
        calls.append(len(records))
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        real_update(model, records, names)

    monkeypatch.setattr(import_accounts, "update_rows", update_then_break)
    rows = [["Name", "Tags", "Parent"]] + [[f"Firm {n}", f"tag {n}", ""] for n in range(4)]
    rows[2][2] = "Firm 0"
    job = run_import(admin, django_capture_on_commit_callbacks, "break.csv", csv_bytes(rows),
                     {"Name": "name", "Tags": "tags", "Parent": "parent"})
    assert calls == [1, 0]  # the first batch was written before the failure
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "nothing was imported" in job.message
    assert not Account.objects.filter(name__startswith="Firm").exists()
    assert not Tag.objects.filter(name__startswith="tag").exists()
