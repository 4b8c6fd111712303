"""The lead list's export (CSV and XLSX of the filtered list, visible leads and fields only) and
its bulk actions (reassign, change status, move to the bin), with visibility checks on every
posted id, an audit entry per change, and isolation between tenants."""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.customization.models import FieldRestriction
from crm_apps.sales.models import Lead, ScoringRule
from tests.fixtures.world import signed_in

LIST = "/app/sales/leads/"
BULK = "/app/sales/leads/bulk/"
EXPORT = "/app/sales/leads/export/"


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    Team.objects.create(name="North").members.add(rep)
    Team.objects.create(name="South").members.add(rep2)
    return {"rep": rep, "rep2": rep2, "admin": users.get(email="admin@acme.example"),
            "mine": Lead.objects.create(last_name="Mine", company="Mine Ltd", phone="111",
                                        email="mine@example.com", owner=rep,
                                        status="working"),
            "also": Lead.objects.create(last_name="Also", company="Also Ltd", owner=rep,
                                        status="new"),
            "theirs": Lead.objects.create(last_name="Theirs", company="Theirs Ltd",
                                          owner=rep2, status="working")}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_export_has_the_filtered_visible_leads_without_hidden_fields(org):
    FieldRestriction.objects.create(entity="sales.lead", field="phone", hidden_from=[SALES_REP])
    rep = signed_in("acme.localhost", "rep@acme.example")
    rows = csv_rows(rep.get(EXPORT, {"file": "csv"}))
    header, body = rows[0], rows[1:]
    assert "phone" not in header
    assert {"last_name", "company", "status", "owner", "score"} <= set(header)
    names = sorted(row[header.index("last_name")] for row in body)
    assert names == ["Also", "Mine"]  # never rep2's lead
    filtered = csv_rows(rep.get(EXPORT, {"file": "csv", "status": "working"}))
    assert [row[filtered[0].index("last_name")] for row in filtered[1:]] == ["Mine"]
    entry = AuditEntry.objects.filter(record_type="sales.lead", action="exported").latest("pk")
    assert entry.actor == org["rep"]
    assert entry.changes["filters"] == {"status": "working"}
    # The admin sees every lead and the phone column.
    admin = signed_in("acme.localhost", "admin@acme.example")
    every = csv_rows(admin.get(EXPORT, {"file": "csv", "q": "Ltd"}))
    assert "phone" in every[0]
    assert len(every) == 4


def test_the_xlsx_export_and_a_bad_format(org):
    admin = signed_in("acme.localhost", "admin@acme.example")
    response = admin.get(EXPORT, {"file": "xlsx", "sort": "company"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    column = values[0].index("company")
    assert [row[column] for row in values[1:]] == ["Also Ltd", "Mine Ltd", "Theirs Ltd"]
    assert admin.get(EXPORT, {"file": "pdf"}).status_code == 400


def test_the_list_offers_selection_export_and_import(org):
    page = signed_in("acme.localhost", "rep@acme.example").get(LIST)
    html = page.content.decode()
    assert f'name="ids" value="{org["mine"].pk}"' in html
    assert f'name="ids" value="{org["theirs"].pk}"' not in html
    assert 'action="/app/sales/leads/bulk/"' in html
    assert "/app/sales/leads/export/?file=csv" in html
    assert "/app/customers/import/?kind=leads" in html


def test_a_rep_reassigns_only_leads_they_see_even_when_posting_other_ids(org):
    rep = signed_in("acme.localhost", "rep@acme.example")
    ids = [org["mine"].pk, org["also"].pk, org["theirs"].pk]
    response = rep.post(BULK, {"action": "reassign", "owner": org["admin"].pk, "ids": ids},
                        follow=True)
    assert response.status_code == 200
    owners = dict(Lead.objects.values_list("last_name", "owner"))
    assert owners == {"Mine": org["admin"].pk, "Also": org["admin"].pk,
                      "Theirs": org["rep2"].pk}
    assert "1 selected record was skipped" in response.content.decode()
    changes = AuditEntry.objects.filter(record_type="sales.lead", action="updated",
                                        actor=org["rep"])
    assert {entry.record_id for entry in changes} == {str(org["mine"].pk),
                                                      str(org["also"].pk)}
    assert all("owner" in entry.changes for entry in changes)


def test_changing_status_needs_a_reason_to_disqualify_and_rescores(org):
    ScoringRule.objects.create(field="status", operator="equals", value="qualified", points=9)
    rep = signed_in("acme.localhost", "rep@acme.example")
    ids = [org["mine"].pk, org["theirs"].pk]
    refused = rep.post(BULK, {"action": "status", "status": "disqualified", "ids": ids},
                       follow=True)
    assert "Say why the leads are disqualified." in refused.content.decode()
    assert Lead.objects.filter(status="disqualified").count() == 0
    rep.post(BULK, {"action": "status", "status": "disqualified", "reason": "No budget",
                    "ids": ids})
    mine, theirs = (Lead.objects.get(pk=pk) for pk in ids)
    assert (mine.status, mine.disqualified_reason) == ("disqualified", "No budget")
    assert theirs.status == "working"  # not the rep's to see
    rep.post(BULK, {"action": "status", "status": "qualified", "ids": [mine.pk]})
    mine.refresh_from_db()
    assert (mine.status, mine.disqualified_reason, mine.score) == ("qualified", "", 9)
    history = AuditEntry.objects.filter(record_type="sales.lead", record_id=str(mine.pk),
                                        action="updated")
    assert [entry.changes["status"] for entry in history.order_by("pk")] == [
        ["working", "disqualified"], ["disqualified", "qualified"]]
    for bad in ({"status": "converted"}, {"status": "nonsense"}, {"status": ""}):
        rep.post(BULK, {"action": "status", "ids": [mine.pk], **bad})
        assert Lead.objects.get(pk=mine.pk).status == "qualified"


def test_moving_to_the_bin_asks_first_and_skips_what_the_rep_cannot_see(org):
    rep = signed_in("acme.localhost", "rep@acme.example")
    ids = [org["also"].pk, org["theirs"].pk]
    confirm = rep.post(BULK, {"action": "delete", "ids": ids})
    assert confirm.status_code == 200
    assert "not yours to see" in confirm.content.decode()
    assert Lead.objects.filter(pk=org["also"].pk).exists()
    rep.post(BULK, {"action": "delete", "ids": ids, "confirmed": "yes"})
    assert not Lead.objects.filter(pk=org["also"].pk).exists()
    assert Lead.everything.get(pk=org["also"].pk).deleted_at is not None
    assert Lead.objects.filter(pk=org["theirs"].pk).exists()
    assert AuditEntry.objects.filter(record_type="sales.lead", action="deleted",
                                     record_id=str(org["also"].pk)).exists()


def test_bulk_actions_on_every_matching_lead_and_bad_input(org):
    admin = signed_in("acme.localhost", "admin@acme.example")
    admin.post(BULK, {"action": "status", "status": "qualified", "scope": "matching",
                      "query": "status=working"})
    assert sorted(Lead.objects.filter(status="qualified").values_list("last_name", flat=True)
                  ) == ["Mine", "Theirs"]
    export = admin.post(BULK, {"action": "export", "file": "csv", "ids": [org["also"].pk]})
    rows = csv_rows(export)
    assert [row[rows[0].index("last_name")] for row in rows[1:]] == ["Also"]
    for payload in ({"action": "merge", "ids": [org["also"].pk, org["mine"].pk]},
                    {"action": "reassign", "owner": "999999", "ids": [org["also"].pk]},
                    {"action": "status", "ids": ["x1"]},
                    {"action": "status", "status": "new"}):
        response = admin.post(BULK, payload)
        assert response.status_code == 302
    assert Lead.objects.get(pk=org["also"].pk).owner == org["rep"]


def test_globex_cannot_export_or_change_acme_leads(in_acme, org, globex):
    client = signed_in(globex.host, globex.admin_email)
    rows = csv_rows(client.get(EXPORT, {"file": "csv"}))
    assert rows[1:] == []
    client.post(BULK, {"action": "status", "status": "qualified", "ids": [org["mine"].pk]})
    client.post(BULK, {"action": "delete", "confirmed": "yes", "ids": [org["mine"].pk]})
    with tenant_context(in_acme.tenant):  # requests to globex's host switched the schema
        lead = Lead.everything.get(pk=org["mine"].pk)
    assert (lead.status, lead.deleted_at) == ("working", None)
