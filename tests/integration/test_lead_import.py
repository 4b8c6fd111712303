"""Lead import on the customers' import framework: CSV and XLSX, per-row errors, duplicates by
e-mail, owners by e-mail, assignment rules and scoring applied once per batch (bounded
queries), the import page offering leads, visibility and tenant isolation."""

import csv
import io
import json

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.customization.models import CustomField
from crm_apps.sales.lead_signals import suspended
from crm_apps.sales.models import AssignmentRule, Lead, ScoringRule
from realtime.models import Job, Notification
from tests.fixtures.world import admin_token, host_client, signed_in

IMPORT = "/api/v1/imports/leads/"
PREVIEW = "/api/v1/imports/leads/preview/"
MAPPING = {"First name": "first_name", "Last name": "last_name", "Company": "company",
           "E-mail": "email", "Country": "country", "Source": "source", "Status": "status",
           "Reason": "disqualified_reason", "Owner": "owner", "Budget": "custom.budget"}
HEADERS = list(MAPPING)


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep, rep2)
    CustomField.objects.create(entity="sales.lead", code="budget", label="Budget",
                               type="number")
    return {"rep": rep, "rep2": rep2, "north": north,
            "admin": users.get(email="admin@acme.example")}


@pytest.fixture
def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(client, capture, name, data, mapping, duplicates="skip", **extra) -> Job:
    with capture(execute=True):
        response = client.post(IMPORT, {
            "file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
            "mapping": json.dumps(mapping), "duplicates": duplicates, **extra})
    assert response.status_code == 202, response.content
    assert response.json()["kind"] == "lead-import"
    return Job.objects.get(pk=response.json()["id"])


def test_a_csv_import_creates_leads_and_reports_bad_rows(
        org, admin, django_capture_on_commit_callbacks):
    Lead.objects.create(last_name="Old", email="old@example.com", owner=org["rep"])
    rows = [HEADERS,
            ["Ada", "Lovelace", "Engines", "ADA@example.com", "gb", "", "", "", "", "1200"],
            ["明", "李", "环球", "li@example.cn", "CN", "referral", "合格", "",
             "rep2@acme.example", ""],
            ["Ada", "Again", "Engines", "ada@example.com", "", "", "", "", "", ""],  # in file
            ["Old", "Dup", "", "old@example.com", "", "", "", "", "", ""],  # existing
            ["Bad", "Mail", "", "not-an-address", "", "", "", "", "", ""],
            ["No", "Owner", "", "", "", "", "", "", "nobody@acme.example", ""],
            ["Far", "Away", "", "", "China", "", "", "", "", ""],
            ["Gone", "Cold", "", "", "", "", "disqualified", "", "", ""],
            ["Was", "Won", "", "", "", "", "converted", "", "", ""],
            ["Too", "Rich", "", "", "", "", "", "", "", "lots"],
            ["", "", "", "", "", "", "", "", "", ""],
            ["Not", "Fit", "", "", "", "event", "disqualified", "Too small", "", ""]]
    job = run_import(admin, django_capture_on_commit_callbacks, "leads.csv", csv_bytes(rows),
                     MAPPING)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert (job.result["created"], job.result["skipped"], job.result["failed"]) == (3, 2, 6)
    ada = Lead.objects.get(email="ada@example.com")
    assert (ada.first_name, ada.country, ada.source, ada.status) == ("Ada", "GB", "import",
                                                                      "new")
    assert ada.custom == {"budget": "1200"}
    assert ada.owner == org["admin"]  # no owner column value, no rule: the importer
    li = Lead.objects.get(email="li@example.cn")
    assert (li.source, li.status, li.owner) == ("referral", "qualified", org["rep2"])
    unfit = Lead.objects.get(last_name="Fit")
    assert (unfit.status, unfit.disqualified_reason, unfit.source) == (
        "disqualified", "Too small", "event")
    assert Lead.objects.get(email="old@example.com").last_name == "Old"  # skipped
    problems = {error["row"]: error["field"] for error in job.errors}
    assert problems == {6: "E-mail", 7: "Owner (e-mail of a colleague)",
                        8: "Country (ISO code)", 9: "Reason for disqualifying", 10: "Status",
                        11: "Budget"}
    report = admin.get(f"/api/v1/imports/{job.pk}/report/")
    assert report.status_code == 200
    text = b"".join(report).decode("utf-8-sig") if report.streaming else report.content.decode(
        "utf-8-sig")
    assert "not-an-address" in text
    entry = AuditEntry.objects.get(record_type="sales.lead", record_id="*", action="created")
    assert entry.changes == {"import": str(job.pk), "rows": 3}


def test_an_xlsx_with_chinese_headers_updates_duplicates_in_update_mode(
        org, admin, django_capture_on_commit_callbacks):
    existing = Lead.objects.create(last_name="王", email="wang@example.cn", company="Old Co",
                                   title="Buyer", owner=org["rep"])
    data = xlsx_bytes([["姓", "名", "邮箱", "公司", "职位", "网站", "负责人"],
                       ["王", "芳", "WANG@example.cn", "新公司", None, "xin.example.cn", None],
                       ["张", "伟", "zhang@example.cn", "环球", "经理", None,
                        "rep@acme.example"]])
    preview = admin.post(PREVIEW, {"file": SimpleUploadedFile("线索.xlsx", data)})
    assert preview.status_code == 200, preview.content
    mapping = preview.json()["mapping"]
    assert mapping == {"姓": "last_name", "名": "first_name", "邮箱": "email",
                       "公司": "company", "职位": "title", "网站": "website",
                       "负责人": "owner"}
    job = run_import(admin, django_capture_on_commit_callbacks, "线索.xlsx", data, mapping,
                     duplicates="update")
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert (job.result["created"], job.result["updated"]) == (1, 1)
    existing.refresh_from_db()
    # Filled cells replace, blank ones keep; the source of an existing lead stays.
    assert (existing.first_name, existing.company, existing.title, existing.website,
            existing.source) == ("芳", "新公司", "Buyer", "https://xin.example.cn", "manual")
    zhang = Lead.objects.get(email="zhang@example.cn")
    assert (zhang.owner, zhang.source) == (org["rep"], "import")


def test_a_rep_cannot_update_a_lead_they_do_not_see(org, django_capture_on_commit_callbacks):
    hidden = Lead.objects.create(last_name="Secret", email="secret@example.com",
                                 owner=org["admin"])
    rep = signed_in("acme.localhost", "rep@acme.example")
    data = csv_bytes([["Last name", "E-mail"], ["Changed", "secret@example.com"]])
    job = run_import(rep, django_capture_on_commit_callbacks, "x.csv", data,
                     {"Last name": "last_name", "E-mail": "email"}, duplicates="update")
    assert job.result["updated"] == 0
    assert "not yours" in job.errors[0]["message"]
    hidden.refresh_from_db()
    assert hidden.last_name == "Secret"


def test_assignment_rules_and_scoring_apply_to_the_batch(
        org, admin, django_capture_on_commit_callbacks):
    AssignmentRule.objects.create(name="North web", method="round_robin", team=org["north"],
                                  country="DE")
    AssignmentRule.objects.create(name="China", method="territory_owner", user=org["rep2"],
                                  country="CN", position=5)
    ScoringRule.objects.create(field="source", operator="equals", value="import", points=4)
    ScoringRule.objects.create(field="company", operator="is_set", points=6)
    rows = [["Last name", "Country", "Company", "Owner"],
            ["D1", "DE", "X", ""], ["D2", "DE", "", ""], ["D3", "DE", "", ""],
            ["C1", "CN", "", ""], ["Mine", "DE", "", "admin@acme.example"], ["US1", "US", "", ""]]
    job = run_import(admin, django_capture_on_commit_callbacks, "rules.csv", csv_bytes(rows),
                     {"Last name": "last_name", "Country": "country", "Company": "company",
                      "Owner": "owner"})
    assert job.result["created"] == 6
    assert job.result["assigned"] == 4
    first, second = sorted([org["rep"], org["rep2"]], key=lambda user: user.pk)
    owners = {lead.last_name: lead.owner for lead in Lead.objects.all()}
    assert [owners["D1"], owners["D2"], owners["D3"]] == [first, second, first]
    assert owners["C1"] == org["rep2"]
    assert owners["Mine"] == org["admin"]  # the owner column wins over the rules
    assert owners["US1"] == org["admin"]  # nothing matched: the importer
    assert Lead.objects.get(last_name="D2").team == org["north"]
    scores = {lead.last_name: lead.score for lead in Lead.objects.all()}
    assert scores == {"D1": 10, "D2": 4, "D3": 4, "C1": 4, "Mine": 4, "US1": 4}
    # The rotation continues after the batch for a lead created one at a time.
    later = Lead.objects.create(last_name="D4", country="DE")
    later.refresh_from_db()
    assert later.owner == second
    # One notification per new owner of the batch (rep twice D*, rep2 a D and C1), not one
    # per lead; then D4's own.
    notes = Notification.objects.filter(kind="lead.assigned").order_by("pk")
    assert [note.recipient.email for note in notes][:2] in (
        [first.email, second.email], [second.email, first.email])
    assert "2 new leads for you" in {note.title for note in notes}
    assert notes.count() == 3


def _rule_queries(captured) -> int:
    return sum(1 for query in captured.captured_queries
               if "sales_assignmentrule" in query["sql"] or "sales_scoringrule" in query["sql"]
               or "sales_activitypoints" in query["sql"])


def _timed_import(client, capture, rows: int):
    data = csv_bytes([["Last name", "Country", "E-mail"],
                      *([f"L{n}", "DE", f"l{n}-{rows}@example.com"] for n in range(rows))])
    with CaptureQueriesContext(connection) as captured:
        job = run_import(client, capture, "many.csv", data,
                         {"Last name": "last_name", "Country": "country", "E-mail": "email"})
    assert job.result["created"] == rows
    return captured


def test_rules_are_read_once_per_batch_not_once_per_row(
        org, admin, django_capture_on_commit_callbacks):
    AssignmentRule.objects.create(name="Other", method="territory_owner", user=org["rep"],
                                  country="FR")
    AssignmentRule.objects.create(name="North", method="round_robin", team=org["north"],
                                  country="DE", position=2)
    ScoringRule.objects.create(field="country", operator="equals", value="DE", points=3)
    small = _timed_import(admin, django_capture_on_commit_callbacks, 10)
    large = _timed_import(admin, django_capture_on_commit_callbacks, 200)
    assert 0 < _rule_queries(large) == _rule_queries(small) <= 8
    assert len(large) <= len(small) + 5  # the whole import: no query per row
    assert len(large) < 200
    owners = set(Lead.objects.filter(last_name__startswith="L").values_list("owner", flat=True))
    assert owners == {org["rep"].pk, org["rep2"].pk}
    assert set(Lead.objects.values_list("score", flat=True)) == {3}


def test_signals_can_be_suspended_for_bulk_work(org):
    ScoringRule.objects.create(field="company", operator="is_set", points=5)
    AssignmentRule.objects.create(name="All", method="territory_owner", user=org["rep"])
    with suspended():
        quiet = Lead.objects.create(last_name="Quiet", company="X")
    loud = Lead.objects.create(last_name="Loud", company="X")
    quiet.refresh_from_db()
    loud.refresh_from_db()
    assert (quiet.owner, quiet.score) == (None, 0)
    assert (loud.owner, loud.score) == (org["rep"], 5)


def test_the_import_page_offers_leads_and_starts_a_lead_job(
        org, admin, django_capture_on_commit_callbacks):
    page = admin.get("/app/customers/import/?kind=leads")
    assert page.status_code == 200
    assert b'value="leads" checked' in page.content
    upload = SimpleUploadedFile("p.csv", csv_bytes([["Company", "E-mail"],
                                                    ["Page Co", "page@example.com"]]))
    started = admin.post("/app/customers/import/", {"kind": "leads", "file": upload})
    assert started.status_code == 302, started.content[:400]
    mapping_page = admin.get(started.url)
    assert mapping_page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(started.url, {"column-0": "company", "column-1": "email",
                                        "duplicates": "skip"})
    assert done.status_code == 302
    assert Lead.objects.get(email="page@example.com").source == "import"
    assert Job.objects.get(kind="lead-import").status == Job.Status.SUCCEEDED


@pytest.mark.parametrize(("mapping", "problem"), [
    ({"Company": "salary"}, "Unknown lead field"),
    ({"Company": "title"}, "Map at least one"),
    ("not json", "not valid JSON"),
])
def test_bad_mappings_answer_400(org, admin, mapping, problem):
    response = admin.post(IMPORT, {
        "file": SimpleUploadedFile("x.csv", csv_bytes([["Company"], ["X"]])),
        "mapping": mapping if isinstance(mapping, str) else json.dumps(mapping)})
    assert response.status_code == 400
    assert problem in response.json()["detail"]


def test_globex_imports_see_nothing_of_acme(
        in_acme, org, globex, django_capture_on_commit_callbacks):
    Lead.objects.create(last_name="Acme", email="shared@example.com")
    acme_job = run_import(host_client(in_acme.host, email=in_acme.admin_email,
                                      login_path="/app/login/"),
                          django_capture_on_commit_callbacks, "a.csv",
                          csv_bytes([["E-mail"], ["bad"]]), {"E-mail": "email"})
    client = host_client(globex.host)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {admin_token(globex.tenant)}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {
            "file": SimpleUploadedFile("g.csv", csv_bytes([["E-mail"],
                                                           ["shared@example.com"]])),
            "mapping": json.dumps({"E-mail": "email"})})
    assert response.status_code == 202
    assert client.get(f"/api/v1/imports/{acme_job.pk}/report/").status_code == 404
    with tenant_context(globex.tenant):
        assert Lead.objects.filter(email="shared@example.com").count() == 1  # not a duplicate
    with tenant_context(in_acme.tenant):
        assert Lead.objects.filter(email="shared@example.com").count() == 1
