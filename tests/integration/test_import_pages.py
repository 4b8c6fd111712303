"""The import pages of the back office: upload, column mapping with a preview, duplicates and
dry run, the job page with its error report; bad files, kept uploads, access and tenants."""

import io
import os
import re
import time

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from crm_apps.customers import import_files, imports
from crm_apps.customers.models import Account, Contact
from crm_apps.customization.models import CustomField, FieldRestriction
from realtime.models import Job
from tests.fixtures.world import host_client, signed_in

START = "/app/customers/import/"


@pytest.fixture(autouse=True)
def no_kept_uploads(in_acme):
    """Files outlive the test's transaction: each test starts and ends without kept uploads."""
    def clear():
        for name in staged_files():
            default_storage.delete(f"{import_files.STAGED_FOLDER}/{name}")

    clear()
    yield
    clear()


@pytest.fixture
def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    return "".join(",".join(row) + "\r\n" for row in rows).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def staged_files() -> list[str]:
    try:
        return default_storage.listdir(import_files.STAGED_FOLDER)[1]
    except FileNotFoundError:
        return []


def upload_step(client, kind: str, name: str, data: bytes) -> str:
    response = client.post(START, {"kind": kind, "file": upload(name, data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert re.fullmatch(r"/app/customers/import/[\w-]+/", response.url)
    return response.url


def selected(page: str, index: int) -> str:
    select = re.search(rf'<select[^>]*name="column-{index}".*?</select>', page, re.DOTALL)
    chosen = re.search(r'<option value="([^"]*)" selected', select.group(0))
    return chosen.group(1) if chosen else ""


CONTACT_ROWS = [["姓", "名", "邮箱", "公司", "Notes"],
                ["王", "芳", "wang.fang@example.cn", "环球贸易有限公司", "met at a fair"],
                ["张", "伟", "not-an-address", "", ""],
                ["李", "娜", "li.na@example.cn", "", ""]]


def test_a_contact_import_from_upload_to_finished_job(in_acme, admin,
                                                      django_capture_on_commit_callbacks):
    page = admin.get(START).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="kind" id="kind-accounts"' in page
    mapping_url = upload_step(admin, "contacts", "客户.csv",
                              csv_bytes(CONTACT_ROWS, encoding="gb18030"))
    assert len(staged_files()) == 1
    page = admin.get(mapping_url).content.decode()
    # Suggested from the headers; a column no field fits is left out.
    assert [selected(page, index) for index in range(5)] == [
        "last_name", "first_name", "email", "company", ""]
    assert "wang.fang@example.cn" in page  # the preview of the first rows
    assert "Don&#x27;t import" in page or "Don't import" in page
    assert 'name="duplicates" id="duplicates-update"' in page
    assert 'name="dry_run"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(mapping_url, {
            "column-0": "last_name", "column-1": "first_name", "column-2": "email",
            "column-3": "company", "column-4": "", "duplicates": "skip"})
    assert response.status_code == 302
    job = Job.objects.get(kind="contact-import")
    assert response.url == f"/app/jobs/{job.pk}/"
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert (job.result["created"], job.failed) == (2, 1)
    wang = Contact.objects.get(email="wang.fang@example.cn")
    assert (wang.last_name, wang.first_name, wang.account.name) == ("王", "芳", "环球贸易有限公司")
    assert staged_files() == []  # the kept upload is gone once the job has run
    job_page = admin.get(response.url).content.decode()
    report_url = f"/app/customers/import/reports/{job.pk}/errors.csv"
    assert report_url in job_page
    report = admin.get(report_url).content.decode("utf-8-sig")
    assert "not-an-address" in report
    # The same layout next time: the mapping is remembered.
    mapping_url = upload_step(admin, "contacts", "again.csv", csv_bytes(CONTACT_ROWS))
    page = admin.get(mapping_url).content.decode()
    assert "as the last time" in page
    assert selected(page, 4) == ""


def test_an_account_import_with_update_and_custom_fields(in_acme, admin,
                                                         django_capture_on_commit_callbacks):
    CustomField.objects.create(entity="customers.account", code="vat", label="VAT number",
                               label_zh_hans="税号", type="text")
    Account.objects.create(name="Existing Ltd", website="https://existing.example",
                           city="Old town")
    rows = [["Company", "Website", "City", "税号"],
            ["Existing Limited", "existing.example", "New town", "VAT-1"],
            ["Brand New", "", "Shenzhen", ""]]
    mapping_url = upload_step(admin, "accounts", "accounts.xlsx", xlsx_bytes(rows))
    page = admin.get(mapping_url).content.decode()
    assert [selected(page, index) for index in range(4)] == [
        "name", "website", "city", "custom.vat"]
    assert "Custom fields" in page
    assert "same website domain" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(mapping_url, {
            "column-0": "name", "column-1": "website", "column-2": "city",
            "column-3": "custom.vat", "duplicates": "update"})
    job = Job.objects.get(kind="account-import")
    assert response.url == f"/app/jobs/{job.pk}/"
    assert (job.result["created"], job.result["updated"], job.failed) == (1, 1, 0)
    existing = Account.objects.get(domain="existing.example")
    assert (existing.name, existing.city, existing.custom) == ("Existing Limited", "New town",
                                                               {"vat": "VAT-1"})
    assert Account.objects.filter(name="Brand New").exists()
    assert "Import" in admin.get("/app/customers/accounts/").content.decode()


def test_a_dry_run_from_the_pages_writes_nothing(in_acme, admin,
                                                 django_capture_on_commit_callbacks):
    mapping_url = upload_step(admin, "contacts", "check.csv", csv_bytes(CONTACT_ROWS))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(mapping_url, {
            "column-0": "last_name", "column-1": "first_name", "column-2": "email",
            "duplicates": "skip", "dry_run": "on"})
    job = Job.objects.get(kind="contact-import")
    assert response.url == f"/app/jobs/{job.pk}/"
    assert job.result["dry_run"] is True
    assert (job.result["created"], job.failed) == (2, 1)
    assert not Contact.objects.filter(email__endswith="example.cn").exists()
    assert admin.get(f"/app/customers/import/reports/{job.pk}/errors.csv").status_code == 200


def test_mapping_mistakes_are_shown_on_the_page(in_acme, admin,
                                                django_capture_on_commit_callbacks):
    mapping_url = upload_step(admin, "contacts", "people.csv", csv_bytes(CONTACT_ROWS))
    response = admin.post(mapping_url, {"column-0": "email", "column-2": "email"})
    assert response.status_code == 400
    assert "one column only" in response.content.decode()
    response = admin.post(mapping_url, {"column-3": "company"})
    assert response.status_code == 400
    assert "at least one of" in response.content.decode()
    response = admin.post(mapping_url, {"column-2": "email", "duplicates": "merge"})
    assert response.status_code == 400
    assert not Job.objects.exists()
    assert len(staged_files()) == 1  # still there for the next try


def test_a_hidden_field_cannot_be_chosen(in_acme, django_capture_on_commit_callbacks):
    FieldRestriction.objects.create(entity="customers.account", field="annual_revenue",
                                    hidden_from=["sales_rep"])
    rep = signed_in(in_acme.host, in_acme.rep_email)
    rows = [["Name", "Annual revenue"], ["Hidden Money", "1000"]]
    mapping_url = upload_step(rep, "accounts", "a.csv", csv_bytes(rows))
    page = rep.get(mapping_url).content.decode()
    assert 'value="annual_revenue"' not in page
    response = rep.post(mapping_url, {"column-0": "name", "column-1": "annual_revenue"})
    assert response.status_code == 400
    assert "may not import into" in response.content.decode()
    assert not Account.objects.filter(name="Hidden Money").exists()


@pytest.mark.parametrize(("name", "data", "fragment"), [
    ("empty.csv", b"", "The file is empty"),
    ("blank.csv", b"\r\n\r\n", "empty"),
    ("report.pdf", b"%PDF-1.7 whatever", "CSV (.csv) or Excel (.xlsx)"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
    ("latin.csv", b"name,mail\n\xff\xfe\x80\x80\xff,x\n", "UTF-8"),
    ("fake.xlsx", b"just text, not a workbook", "not an Excel workbook"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200, "could not be read"),
    ("malformed.csv", b'name,email\nok,ok@example.com\n"' + b"x" * 200_000, "malformed"),
])
def test_bad_files_give_a_message_on_the_page(in_acme, admin, name, data, fragment):
    response = admin.post(START, {"kind": "contacts", "file": upload(name, data)})
    assert response.status_code == 400
    page = response.content.decode()
    assert fragment in page
    assert 'role="alert"' in page
    assert staged_files() == []


def test_a_missing_file_a_big_file_and_an_unknown_kind(in_acme, admin, monkeypatch):
    response = admin.post(START, {"kind": "contacts"})
    assert response.status_code == 400
    assert "Choose the file" in response.content.decode()
    response = admin.post(START, {"kind": "invoices", "file": upload("a.csv", b"a\n1\n")})
    assert response.status_code == 400
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    response = admin.post(START, {"kind": "contacts",
                                  "file": upload("big.csv", b"a,b\n" + b"x,y\n" * 100)})
    assert response.status_code == 413
    assert "larger than 50 MB" in response.content.decode()


def test_an_upload_belongs_to_its_user(in_acme, admin, globex):
    mapping_url = upload_step(admin, "contacts", "people.csv", csv_bytes(CONTACT_ROWS))
    rep = signed_in(in_acme.host, in_acme.rep_email)
    for response in (rep.get(mapping_url), rep.post(mapping_url, {"column-2": "email"})):
        assert response.status_code == 302
        assert response.url == START
    stranger = signed_in(globex.host, globex.admin_email)
    assert stranger.get(mapping_url).status_code == 302
    assert admin.get(mapping_url).status_code == 200
    assert not Job.objects.exists()


def test_discarding_an_upload_removes_it(in_acme, admin):
    mapping_url = upload_step(admin, "contacts", "people.csv", csv_bytes(CONTACT_ROWS))
    response = admin.post(mapping_url, {"cancel": "1"})
    assert response.status_code == 302
    assert staged_files() == []
    assert admin.get(mapping_url).status_code == 302


def test_uploads_left_for_a_day_are_removed(in_acme, admin):
    upload_step(admin, "contacts", "old.csv", csv_bytes(CONTACT_ROWS))
    (old,) = staged_files()
    day_ago = time.time() - 25 * 3600
    os.utime(default_storage.path(f"{import_files.STAGED_FOLDER}/{old}"), (day_ago, day_ago))
    upload_step(admin, "contacts", "new.csv", csv_bytes(CONTACT_ROWS))
    remaining = staged_files()
    assert len(remaining) == 1
    assert old not in remaining


def test_the_hourly_job_clears_uploads_left_for_a_day(in_acme, admin):
    from crm_apps.customers.tasks import clear_abandoned_uploads

    upload_step(admin, "contacts", "old.csv", csv_bytes(CONTACT_ROWS))
    upload_step(admin, "contacts", "fresh.csv", csv_bytes(CONTACT_ROWS))
    old, fresh = sorted(staged_files(), key=lambda name: os.path.getmtime(
        default_storage.path(f"{import_files.STAGED_FOLDER}/{name}")))
    day_ago = time.time() - 25 * 3600
    os.utime(default_storage.path(f"{import_files.STAGED_FOLDER}/{old}"), (day_ago, day_ago))
    assert clear_abandoned_uploads.apply().get() == 1
    assert staged_files() == [fresh]


def test_only_staff_reach_the_import_pages(in_acme):
    anonymous = host_client(in_acme.host)
    response = anonymous.get(START)
    assert response.status_code == 302
    assert "/app/login/" in response.url
    customer = host_client(in_acme.host, email=in_acme.customer_email,
                           login_path="/portal/login/")
    assert customer.get(START).status_code == 403
    assert customer.post(START, {"kind": "contacts",
                                 "file": upload("a.csv", csv_bytes(CONTACT_ROWS))}
                         ).status_code == 403
    rep = signed_in(in_acme.host, in_acme.rep_email)
    assert rep.get(START).status_code == 200
