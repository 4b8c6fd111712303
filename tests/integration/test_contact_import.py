"""Contact import over the API: CSV and XLSX, mapping, encodings, per-row errors, duplicate
modes, all-or-nothing failure, bad uploads, permissions and tenant isolation."""

import csv
import io
import json

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from crm_apps.customers import import_base, import_contacts, imports
from crm_apps.customers.models import Account, Contact
from realtime.models import Job
from tests.fixtures.world import host_client

IMPORT = "/api/v1/imports/contacts/"
PREVIEW = "/api/v1/imports/contacts/preview/"
ENGLISH_MAPPING = {"First name": "first_name", "Last name": "last_name", "E-mail": "email",
                   "Company": "company", "Stage": "lifecycle_stage"}



@pytest.fixture
def admin(in_acme):
    return host_client(in_acme.host, email=in_acme.admin_email, login_path="/app/login/")


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return "".join(",".join(row) + "\r\n" for row in rows).encode(encoding)


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


def run_import(client, capture, name, data, mapping, duplicates="skip", **extra) -> Job:
    with capture(execute=True):
        response = client.post(IMPORT, {"file": upload(name, data),
                                        "mapping": json.dumps(mapping),
                                        "duplicates": duplicates, **extra})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "contact-import"
    return Job.objects.get(pk=body["id"])


ENGLISH_ROWS = [
    ["First name", "Last name", "E-mail", "Company", "Stage"],
    ["Ada", "Lovelace", "ada@example.com", "Analytical Engines", "customer"],
    ["Charles", "Babbage", "CHARLES@example.com", "analytical engines", "Lead"],
    ["明", "李", "li.ming@example.cn", "Existing Ltd", ""],
]


def test_a_csv_import_with_a_mapping_creates_contacts_and_accounts(
        in_acme, admin, django_capture_on_commit_callbacks):
    existing = Account.objects.create(name="EXISTING LTD")
    job = run_import(admin, django_capture_on_commit_callbacks, "people.csv",
                     csv_bytes(ENGLISH_ROWS), ENGLISH_MAPPING)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["created"] == 3
    assert job.result["accounts_created"] == 1
    assert job.failed == 0
    ada = Contact.objects.get(email="ada@example.com")
    charles = Contact.objects.get(email="charles@example.com")  # stored in lower case
    li = Contact.objects.get(email="li.ming@example.cn")
    assert (ada.first_name, ada.last_name, ada.lifecycle_stage) == ("Ada", "Lovelace",
                                                                     "customer")
    assert charles.lifecycle_stage == "lead"  # by label as well as by code
    assert li.lifecycle_stage == "lead"  # blank: the default
    assert ada.account_id == charles.account_id  # one account per name, any case
    assert ada.account.name == "Analytical Engines"
    assert li.account_id == existing.pk  # an existing account is reused
    assert {ada.owner.email, li.owner.email} == {in_acme.admin_email}
    entry = AuditEntry.objects.get(record_type="customers.contact", record_id="*",
                                   action="created")
    assert entry.changes == {"import": str(job.pk), "rows": 3}
    assert entry.actor.email == in_acme.admin_email
    detail = admin.get(f"/api/v1/jobs/{job.pk}/").json()
    assert detail["percent"] == 100


def test_an_xlsx_with_chinese_headers_is_previewed_and_imported(
        in_acme, admin, django_capture_on_commit_callbacks):
    rows = [["姓", "名", "邮箱", "电话", "公司", "职位"],
            ["王", "芳", "wang.fang@example.cn", 13800138000, "环球贸易有限公司", "经理"],
            ["张", "伟", "zhang.wei@example.cn", "010-12345678", "环球贸易有限公司", None],
            [None, None, None, None, None, None]]
    data = xlsx_bytes(rows)
    preview = admin.post(PREVIEW, {"file": upload("客户.xlsx", data)})
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["headers"] == ["姓", "名", "邮箱", "电话", "公司", "职位"]
    assert body["mapping"] == {"姓": "last_name", "名": "first_name", "邮箱": "email",
                               "电话": "phone", "公司": "company", "职位": "title"}
    assert body["mapping_source"] == "suggested"
    assert len(body["rows"]) == 2
    assert body["rows"][0]["电话"] == "13800138000"

    job = run_import(admin, django_capture_on_commit_callbacks, "客户.xlsx", data,
                     body["mapping"])
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["created"] == 2
    wang = Contact.objects.get(email="wang.fang@example.cn")
    assert (wang.last_name, wang.first_name, wang.phone, wang.title) == (
        "王", "芳", "13800138000", "经理")
    assert Account.objects.filter(name="环球贸易有限公司").count() == 1


def test_a_gb18030_csv_from_chinese_excel_is_read(in_acme, admin,
                                                  django_capture_on_commit_callbacks):
    data = csv_bytes([["姓", "名", "电子邮件", "手机"],
                      ["陈", "静", "chen.jing@example.cn", "13912345678"],
                      ["刘", "洋", "liu.yang@example.cn", ""]], encoding="gb18030")
    body = admin.post(PREVIEW, {"file": upload("export.csv", data)}).json()
    assert body["encoding"] == "gb18030"
    assert body["mapping"] == {"姓": "last_name", "名": "first_name", "电子邮件": "email",
                               "手机": "mobile"}
    assert body["rows"][0]["姓"] == "陈"
    job = run_import(admin, django_capture_on_commit_callbacks, "export.csv", data,
                     body["mapping"])
    assert job.result["created"] == 2
    chen = Contact.objects.get(email="chen.jing@example.cn")
    assert (chen.last_name, chen.first_name, chen.mobile) == ("陈", "静", "13912345678")


def test_utf8_without_a_byte_order_mark_and_semicolons(in_acme, admin,
                                                       django_capture_on_commit_callbacks):
    data = "名字;邮箱\n小红;xiao.hong@example.cn\n".encode()
    body = admin.post(PREVIEW, {"file": upload("semi.csv", data)}).json()
    assert body["encoding"] == "utf-8"
    assert body["rows"] == [{"名字": "小红", "邮箱": "xiao.hong@example.cn"}]
    job = run_import(admin, django_capture_on_commit_callbacks, "semi.csv", data,
                     body["mapping"])
    assert Contact.objects.get(email="xiao.hong@example.cn").first_name == "小红"
    assert job.result["created"] == 1


def test_bad_rows_are_reported_and_the_good_rows_imported(in_acme, admin,
                                                          django_capture_on_commit_callbacks):
    rows = [["First name", "Last name", "E-mail", "Stage", "Phone", "Consent", "Owner"],
            ["Good", "One", "good1@example.com", "", "", "yes", ""],
            ["Bad", "Mail", "not-an-address", "", "", "", ""],
            ["Bad", "Stage", "stage@example.com", "emperor", "", "", ""],
            ["", "", "", "", "12345", "", ""],
            ["Long", "Phone", "long@example.com", "", "1" * 41, "", ""],
            ["Bad", "Consent", "consent@example.com", "", "", "maybe", ""],
            ["Bad", "Owner", "owner@example.com", "", "", "", "nobody@acme.example"],
            ["Good", "Two", "good2@example.com", "", "", "no", "rep@acme.example"]]
    mapping = {"First name": "first_name", "Last name": "last_name", "E-mail": "email",
               "Stage": "lifecycle_stage", "Phone": "phone", "Consent": "email_consent",
               "Owner": "owner"}
    job = run_import(admin, django_capture_on_commit_callbacks, "mixed.csv", csv_bytes(rows),
                     mapping)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["created"] == 2
    assert job.failed == 6
    failed = {error["item"]: error["message"] for error in job.errors}
    assert set(failed) == {"row 3", "row 4", "row 5", "row 6", "row 7", "row 8"}
    assert "not a valid e-mail" in failed["row 3"]
    assert "not a lifecycle stage" in failed["row 4"]
    assert "neither a name nor an e-mail" in failed["row 5"]
    assert "longer than 40" in failed["row 6"]
    assert "yes or no" in failed["row 7"]
    assert "No colleague" in failed["row 8"]
    one = Contact.objects.get(email="good1@example.com")
    assert one.email_consent
    assert one.consent_date is not None
    assert one.consent_source == "import"
    two = Contact.objects.get(email="good2@example.com")
    assert two.owner.email == "rep@acme.example"  # the mapped owner, not the importer
    assert not two.email_consent
    assert not Contact.objects.filter(email__in=["stage@example.com", "long@example.com"])
    errors_url = admin.get(f"/api/v1/jobs/{job.pk}/").json()["errors_url"]
    report = admin.get(errors_url)
    assert report.status_code == 200
    assert "not-an-address" in b"".join(report.streaming_content).decode() if getattr(
        report, "streaming", False) else "not-an-address" in report.content.decode()


@pytest.mark.parametrize(("mode", "expected"), [
    ("skip", {"created": 1, "updated": 0, "skipped": 2}),
    ("update", {"created": 1, "updated": 1, "skipped": 0}),
    ("create", {"created": 3, "updated": 0, "skipped": 0}),
])
def test_duplicate_modes(in_acme, admin, django_capture_on_commit_callbacks, mode, expected):
    Contact.objects.create(first_name="Old", last_name="Name", email="dup@example.com",
                           title="Intern", phone="111")
    rows = [["First name", "E-mail", "Title", "Phone"],
            ["New", "DUP@example.com", "Director", ""],
            ["Fresh", "fresh@example.com", "CTO", ""],
            ["Again", "fresh@example.com", "CEO", "222"]]
    mapping = {"First name": "first_name", "E-mail": "email", "Title": "title",
               "Phone": "phone"}
    job = run_import(admin, django_capture_on_commit_callbacks, "dups.csv", csv_bytes(rows),
                     mapping, duplicates=mode)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert {key: job.result[key] for key in expected} == expected
    dups = Contact.objects.filter(email="dup@example.com")
    if mode == "skip":
        assert [(c.first_name, c.title) for c in dups] == [("Old", "Intern")]
        assert Contact.objects.get(email="fresh@example.com").title == "CTO"
    elif mode == "update":
        old = dups.get()
        # Mapped, non-blank cells win; a blank cell keeps what the contact had.
        assert (old.first_name, old.last_name, old.title, old.phone) == (
            "New", "Name", "Director", "111")
        fresh = Contact.objects.get(email="fresh@example.com")  # same file, merged
        assert (fresh.first_name, fresh.title, fresh.phone) == ("Again", "CEO", "222")
        assert AuditEntry.objects.filter(record_id="*", action="updated",
                                         changes__rows=1).exists()
    else:
        assert dups.count() == 2
        assert Contact.objects.filter(email="fresh@example.com").count() == 2


def test_a_failure_half_way_leaves_nothing_imported(in_acme, admin, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    """Small batches, and the writer of the second batch raises (as a database error would):
    the first batch and its new accounts are rolled back with it."""
    monkeypatch.setattr(import_base, "BATCH_SIZE", 2)
    real_write = import_contacts.write_batch
    calls = []

    def write_then_break(contacts):
        calls.append(len(contacts))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_write(contacts)

    monkeypatch.setattr(import_contacts, "write_batch", write_then_break)
    rows = [["First name", "E-mail", "Company"]] + [
        [f"Person {n}", f"p{n}@example.com", f"Firm {n}"] for n in range(6)]
    before = (Contact.objects.count(), Account.objects.count())
    # The request that queued the import still answers 202 (run_import checks it): the
    # failure is the job's, shown on its page.
    job = run_import(admin, django_capture_on_commit_callbacks, "break.csv", csv_bytes(rows),
                     {"First name": "first_name", "E-mail": "email", "Company": "company"})
    assert calls == [2, 2]  # the first batch was written before the failure
    assert (Contact.objects.count(), Account.objects.count()) == before
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "nothing was imported" in job.message
    assert "disk full" in job.message
    assert not AuditEntry.objects.filter(record_id="*", action="created").exists()


def test_a_dry_run_checks_without_writing(in_acme, admin, django_capture_on_commit_callbacks):
    rows = ENGLISH_ROWS + [["X", "Y", "broken", "", ""]]
    job = run_import(admin, django_capture_on_commit_callbacks, "check.csv", csv_bytes(rows),
                     ENGLISH_MAPPING, dry_run="true")
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["dry_run"] is True
    assert job.result["created"] == 3
    assert job.failed == 1
    assert not Contact.objects.filter(email="ada@example.com").exists()
    assert not Account.objects.filter(name="Analytical Engines").exists()


def test_the_mapping_is_remembered_per_layout_and_tenant(
        in_acme, admin, globex, django_capture_on_commit_callbacks):
    rows = [["Vorname", "Mail"], ["Grete", "grete@example.de"]]
    mapping = {"Vorname": "first_name", "Mail": "email"}
    body = admin.post(PREVIEW, {"file": upload("a.csv", csv_bytes(rows))}).json()
    assert body["mapping_source"] == "suggested"
    assert body["mapping"] == {"Mail": "email"}
    run_import(admin, django_capture_on_commit_callbacks, "a.csv", csv_bytes(rows), mapping)
    # The same headers in another order are the same layout.
    swapped = [["Mail", "Vorname"], ["hans@example.de", "Hans"]]
    body = admin.post(PREVIEW, {"file": upload("b.csv", csv_bytes(swapped))}).json()
    assert body["mapping_source"] == "remembered"
    assert body["mapping"] == mapping
    other = host_client(globex.host, email=globex.admin_email, login_path="/app/login/")
    body = other.post(PREVIEW, {"file": upload("b.csv", csv_bytes(swapped))}).json()
    assert body["mapping_source"] == "suggested"


def test_imported_rows_stay_in_the_importing_tenant(in_acme, admin, globex,
                                                   django_capture_on_commit_callbacks):
    job = run_import(admin, django_capture_on_commit_callbacks, "people.csv",
                     csv_bytes(ENGLISH_ROWS), ENGLISH_MAPPING)
    assert job.result["created"] == 3
    assert Contact.objects.filter(email="ada@example.com").exists()
    with tenant_context(globex.tenant):
        assert not Contact.objects.filter(email="ada@example.com").exists()
        assert not Account.objects.filter(name="Analytical Engines").exists()
        assert not Job.objects.filter(pk=job.pk).exists()


@pytest.mark.parametrize(("name", "data", "fragment"), [
    ("empty.csv", b"", "empty"),
    ("blank.csv", b"\r\n\r\n", "empty"),
    ("report.pdf", b"%PDF-1.7 whatever", "CSV (.csv) or Excel (.xlsx)"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
    ("garbage.csv", b"\x85\x8dz\n\x18@\xef" + bytes(range(256)), "binary"),
    ("latin.csv", b"name,mail\n\xff\xfe\x80\x80\xff,x\n", "UTF-8"),
    ("fake.xlsx", b"just text, not a workbook", "not an Excel workbook"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "could not be read"),
])
def test_bad_uploads_are_refused_with_a_clear_message(in_acme, admin, name, data, fragment):
    for path in (PREVIEW, IMPORT):
        response = admin.post(path, {"file": upload(name, data),
                                     "mapping": json.dumps({"name": "first_name"})})
        assert response.status_code == 400, (path, response.content)
        assert fragment in response.json()["detail"]
    assert not Job.objects.filter(kind="contact-import").exists()


def test_an_oversized_upload_is_refused(in_acme, admin, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    response = admin.post(IMPORT, {"file": upload("big.csv", b"a,b\n" + b"x,y\n" * 100),
                                   "mapping": json.dumps({"a": "first_name"})})
    assert response.status_code == 413
    assert "50 MB" in response.json()["detail"]


@pytest.mark.parametrize(("fields", "fragment"), [
    ({}, "“file”"),
    ({"mapping": "{not json"}, "not valid JSON"),
    ({"mapping": json.dumps(["First name"])}, "must be an object"),
    ({"mapping": json.dumps({"Nope": "email"})}, "no column named: Nope"),
    ({"mapping": json.dumps({"E-mail": "password"})}, "Unknown contact field"),
    ({"mapping": json.dumps({"E-mail": "email", "Company": "email"})}, "one column only"),
    ({"mapping": json.dumps({"Company": "company"})}, "at least one of"),
    ({"mapping": json.dumps(ENGLISH_MAPPING), "duplicates": "merge"}, "duplicates must be"),
])
def test_bad_requests_are_400(in_acme, admin, fields, fragment):
    data = dict(fields)
    if fields:
        data["file"] = upload("people.csv", csv_bytes(ENGLISH_ROWS))
    response = admin.post(IMPORT, data)
    assert response.status_code == 400, response.content
    assert fragment in response.json()["detail"]


def test_portal_customers_and_strangers_cannot_import(in_acme):
    customer = host_client(in_acme.host, email=in_acme.customer_email,
                           login_path="/portal/login/")
    data = csv_bytes(ENGLISH_ROWS)
    for path in (PREVIEW, IMPORT):
        response = customer.post(path, {"file": upload("people.csv", data),
                                        "mapping": json.dumps(ENGLISH_MAPPING)})
        assert response.status_code == 403
        anonymous = host_client(in_acme.host).post(path, {"file": upload("people.csv", data)})
        assert anonymous.status_code in (401, 403)
    assert not Contact.objects.filter(email="ada@example.com").exists()


def test_a_sales_rep_imports_and_owns_the_contacts(in_acme, django_capture_on_commit_callbacks):
    rep = host_client(in_acme.host, email=in_acme.rep_email, login_path="/app/login/")
    job = run_import(rep, django_capture_on_commit_callbacks, "people.csv",
                     csv_bytes(ENGLISH_ROWS), ENGLISH_MAPPING)
    assert job.owner == get_user_model().objects.get(email=in_acme.rep_email)
    assert set(Contact.objects.filter(email__endswith="example.com")
               .values_list("owner__email", flat=True)) == {in_acme.rep_email}


def test_the_import_endpoints_are_in_the_api_schema(in_acme, admin):
    response = admin.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert "/api/v1/imports/contacts/" in paths
    assert "multipart/form-data" in paths["/api/v1/imports/contacts/"]["post"]["requestBody"][
        "content"]


def test_an_update_matches_other_addresses_and_keeps_the_main_one(
        in_acme, admin, django_capture_on_commit_callbacks):
    contact = Contact.objects.create(first_name="Mei", email="mei@example.cn",
                                     other_emails=["mei.alt@example.cn"])
    rows = [["E-mail", "Owner", "Company", "Consent"],
            ["Mei.Alt@example.cn", "rep@acme.example", "新公司", "是"]]
    mapping = {"E-mail": "email", "Owner": "owner", "Company": "company",
               "Consent": "email_consent"}
    job = run_import(admin, django_capture_on_commit_callbacks, "alt.csv", csv_bytes(rows),
                     mapping, duplicates="update")
    assert job.result["updated"] == 1
    contact.refresh_from_db()
    assert contact.email == "mei@example.cn"
    assert contact.first_name == "Mei"
    assert contact.owner.email == "rep@acme.example"
    assert contact.account.name == "新公司"
    assert contact.email_consent
    assert Contact.objects.filter(first_name="Mei").count() == 1


PHONE_ROWS = [["First name", "E-mail", "Phone", "Mobile", "Title"],
              # no e-mail: the phone's digits find Li (stored with spaces and dashes)
              ["Li", "", "+86 13800138000", "", "Director"],
              # another e-mail than the boss's: two people sharing a number
              ["Assistant", "assistant@example.com", "", "010-5555-6666", "Assistant"],
              # no e-mail, the boss's mobile written differently, in the phone column
              ["Boss", "", "(010) 5555 6666", "", "CEO"],
              # too short to mean anything
              ["Short", "", "123", "", ""],
              # an e-mail for a contact that has none: the number finds it
              ["Wen", "wen@example.cn", "", "139 1234 5678", "Buyer"]]
PHONE_MAPPING = {"First name": "first_name", "E-mail": "email", "Phone": "phone",
                 "Mobile": "mobile", "Title": "title"}


@pytest.fixture
def phone_book(in_acme):
    return {"li": Contact.objects.create(first_name="Li", phone="+86 138-0013-8000"),
            "boss": Contact.objects.create(first_name="Boss", email="boss@example.com",
                                           mobile="010 5555 6666", title="Founder"),
            "short": Contact.objects.create(first_name="Short", phone="123"),
            "wen": Contact.objects.create(first_name="Wen", mobile="13912345678")}


@pytest.mark.parametrize(("mode", "expected"), [
    ("skip", {"created": 2, "updated": 0, "skipped": 3}),
    ("update", {"created": 2, "updated": 3, "skipped": 0}),
])
def test_contacts_without_an_email_match_are_found_by_phone(
        in_acme, admin, phone_book, django_capture_on_commit_callbacks, mode, expected):
    job = run_import(admin, django_capture_on_commit_callbacks, "phones.csv",
                     csv_bytes(PHONE_ROWS), PHONE_MAPPING, duplicates=mode)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert {key: job.result[key] for key in expected} == expected
    assert Contact.objects.filter(email="assistant@example.com").count() == 1
    assert Contact.objects.filter(first_name="Short").count() == 2
    assert Contact.objects.filter(first_name="Li").count() == 1
    for contact in phone_book.values():
        contact.refresh_from_db()
    if mode == "skip":
        assert (phone_book["li"].title, phone_book["boss"].title) == ("", "Founder")
        assert phone_book["wen"].email == ""
    else:
        assert phone_book["li"].title == "Director"
        assert phone_book["li"].phone == "+86 13800138000"
        assert (phone_book["boss"].title, phone_book["boss"].email) == ("CEO",
                                                                        "boss@example.com")
        assert (phone_book["wen"].email, phone_book["wen"].title) == ("wen@example.cn",
                                                                      "Buyer")


def test_a_phone_match_within_the_file_is_a_duplicate(in_acme, admin,
                                                      django_capture_on_commit_callbacks):
    rows = [["First name", "Mobile", "Title"], ["Ying", "13700001111", "Clerk"],
            ["Ying", "137 0000 1111", "Manager"]]
    job = run_import(admin, django_capture_on_commit_callbacks, "in-file.csv",
                     csv_bytes(rows), {"First name": "first_name", "Mobile": "mobile",
                                       "Title": "title"}, duplicates="update")
    assert job.result["created"] == 1
    assert Contact.objects.get(first_name="Ying").title == "Manager"


def test_contact_custom_fields_are_imported_and_checked(in_acme, admin,
                                                        django_capture_on_commit_callbacks):
    from crm_apps.customization.models import CustomField

    CustomField.objects.create(
        entity="customers.contact", code="segment", label="Segment", label_zh_hans="细分",
        type="multi_choice", choices=[{"value": "vip", "label": "VIP", "label_zh_hans": "贵宾"},
                                      {"value": "new", "label": "New", "label_zh_hans": "新客"}])
    CustomField.objects.create(entity="customers.contact", code="birthday", label="Birthday",
                               type="date")
    kept = Contact.objects.create(first_name="Kept", email="kept@example.com",
                                  custom={"birthday": "1990-01-01"})
    rows = [["邮箱", "名", "细分", "Birthday"],
            ["kept@example.com", "", "贵宾、新客", ""],
            ["fresh@example.com", "Fresh", "vip", "2001/02/03"],
            ["broken@example.com", "Broken", "gold", ""]]
    body = admin.post(PREVIEW, {"file": upload("cf.csv", csv_bytes(rows))}).json()
    assert body["mapping"] == {"邮箱": "email", "名": "first_name", "细分": "custom.segment",
                               "Birthday": "custom.birthday"}
    job = run_import(admin, django_capture_on_commit_callbacks, "cf.csv", csv_bytes(rows),
                     body["mapping"], duplicates="update")
    assert (job.result["created"], job.result["updated"], job.failed) == (1, 1, 1)
    kept.refresh_from_db()
    assert kept.custom == {"birthday": "1990-01-01", "segment": ["new", "vip"]}
    assert Contact.objects.get(email="fresh@example.com").custom == {
        "segment": ["vip"], "birthday": "2001-02-03"}
    assert not Contact.objects.filter(email="broken@example.com").exists()
    error = job.errors[0]
    assert (error["row"], error["column"], error["value"]) == (4, "细分", "gold")
    assert "not one of the choices" in error["message"]


def test_a_mapping_to_a_hidden_contact_field_is_refused(in_acme,
                                                         django_capture_on_commit_callbacks):
    from crm_apps.customization.models import CustomField, FieldRestriction

    CustomField.objects.create(entity="customers.contact", code="salary", label="Salary",
                               type="money")
    FieldRestriction.objects.create(entity="customers.contact", field="custom.salary",
                                    hidden_from=["sales_rep"])
    rep = host_client(in_acme.host, email=in_acme.rep_email, login_path="/app/login/")
    rows = [["E-mail", "Salary"], ["paid@example.com", "100"]]
    body = rep.post(PREVIEW, {"file": upload("s.csv", csv_bytes(rows))}).json()
    assert "custom.salary" not in body["fields"]
    response = rep.post(IMPORT, {"file": upload("s.csv", csv_bytes(rows)),
                                 "mapping": json.dumps({"E-mail": "email",
                                                        "Salary": "custom.salary"})})
    assert response.status_code == 400
    assert "custom.salary" in response.json()["detail"]
    assert not Contact.objects.filter(email="paid@example.com").exists()
    # "company" fills the contact's account: hiding the account hides it too.
    FieldRestriction.objects.create(entity="customers.contact", field="account",
                                    hidden_from=["sales_rep"])
    rep = host_client(in_acme.host, email=in_acme.rep_email, login_path="/app/login/")
    rows = [["E-mail", "Company"], ["paid@example.com", "Secret Ltd"]]
    body = rep.post(PREVIEW, {"file": upload("c.csv", csv_bytes(rows))}).json()
    assert "company" not in body["fields"]
    assert body["mapping"] == {"E-mail": "email"}
    response = rep.post(IMPORT, {"file": upload("c.csv", csv_bytes(rows)),
                                 "mapping": json.dumps({"E-mail": "email",
                                                        "Company": "company"})})
    assert response.status_code == 400
    assert "may not import into these fields: company" in response.json()["detail"]


def test_the_contact_error_report_lists_the_rows(in_acme, admin,
                                                 django_capture_on_commit_callbacks):
    rows = [["First name", "E-mail", "Stage"], ["Good", "good@example.com", ""],
            ["Bad", "bad-address", "lead"], ["=Evil", "evil@example.com", "king"]]
    job = run_import(admin, django_capture_on_commit_callbacks, "r.csv", csv_bytes(rows),
                     {"First name": "first_name", "E-mail": "email",
                      "Stage": "lifecycle_stage"})
    url = admin.get(f"/api/v1/jobs/{job.pk}/").json()["errors_url"]
    report = admin.get(url)
    assert report["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines == [
        ["Row", "Column", "Field", "Value", "Problem", "First name", "E-mail", "Stage"],
        ["3", "E-mail", "E-mail", "bad-address", "“bad-address” is not a valid e-mail address.",
         "Bad", "bad-address", "lead"],
        ["4", "Stage", "Lifecycle stage", "king",
         "“king” is not a lifecycle stage. Choose from: subscriber, lead, mql, sql, "
         "opportunity, customer, evangelist.", "'=Evil", "evil@example.com", "king"]]
