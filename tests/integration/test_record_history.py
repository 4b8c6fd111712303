"""The audit trail in the pages: the History card and full history of a record (visible fields
only, visible records only) and the tenant admin's filterable audit trail page."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customization.models import CustomField, FieldRestriction
from tests.fixtures.world import PASSWORD, host_client, signed_in

ACCOUNTS = "/app/customers/accounts/"
CONTACTS = "/app/customers/contacts/"
AUDIT = "/app/settings/audit/"


@pytest.fixture
def org(in_acme):
    """rep (team North) and rep2 (team South), each with an account and a contact."""
    from tenants.models import Plan

    # Tests that commit (live servers, workers) leave audit entries behind on a reused test
    # database; the audit page's counts below are about this test's own entries.
    AuditEntry.objects.all().delete()
    in_acme.tenant.plan = Plan.objects.create(code="unlimited-history", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    rep.first_name, rep.last_name = "Rita", "Rep"
    rep.save()
    admin = users.get(email="admin@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP,
                       first_name="Sven")
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    mine = Account.objects.create(name="Northwind", tier="gold", owner=rep, team=north)
    other = Account.objects.create(name="Southern Steel", tier="silver", owner=rep2,
                                   team=south)
    zhang = Contact.objects.create(first_name="伟", last_name="张", account=mine, owner=rep,
                                   email="zhang@northwind.example", lifecycle_stage="lead")
    return {"rep": rep, "rep2": rep2, "admin": admin, "north": north, "south": south,
            "mine": mine, "other": other, "zhang": zhang}


@pytest.fixture
def admin(in_acme):
    return signed_in(in_acme.host, in_acme.admin_email)


@pytest.fixture
def rep(in_acme):
    return signed_in(in_acme.host, in_acme.rep_email)


def text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def history_card(page: str) -> str:
    """The History card of a record page."""
    match = re.search(r'<section class="card mt-3" aria-labelledby="history-heading".*?</section>',
                      page, re.S)
    assert match, "no History card"
    return match.group(0)


def entries(page: str) -> list[str]:
    """The audit entries shown, newest first, one HTML fragment each."""
    return re.findall(r'data-audit-entry="\d+">(.*?)</(?:li|tr)>', page, re.S)


def change_cell(html: str, name: str) -> str:
    """The shown old → new value of field ``name`` in an entry."""
    match = re.search(rf'data-field="{re.escape(name)}">(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>',
                      html, re.S)
    assert match, f"{name} not shown"
    value = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()
    return f"{match.group(1).strip()}: {value}"


def account_form(account, **changes) -> dict:
    data = {"name": account.name, "tier": account.tier, "owner": account.owner_id,
            "team": account.team_id or ""}
    data.update(changes)
    return data


def test_an_edit_through_the_page_shows_in_the_history_card(acme, org, rep):
    mine = org["mine"]
    response = rep.post(f"{ACCOUNTS}{mine.pk}/edit/",
                        account_form(mine, tier="platinum", industry="Shipping"))
    assert response.status_code == 302
    page = text(rep.get(f"{ACCOUNTS}{mine.pk}/"))
    card = history_card(page)
    shown = entries(card)
    assert len(shown) == 2  # the edit, then the creation
    newest = shown[0]
    assert 'data-action="updated"' in newest
    assert "Changed" in newest
    assert "Rita Rep" in newest
    assert change_cell(newest, "tier") == "Tier: Gold → changed to Platinum"
    assert change_cell(newest, "industry") == \
        "Industry: — → changed to Shipping"
    assert 'data-action="created"' in shown[1]
    assert "data-field=\"name\"" in shown[1]
    assert f'href="{ACCOUNTS}{mine.pk}/history/"' in card
    # The full history lists the same entries.
    full = text(rep.get(f"{ACCOUNTS}{mine.pk}/history/"))
    assert len(entries(full)) == 2
    assert "Gold" in entries(full)[0]
    assert "Platinum" in entries(full)[0]


def test_history_card_shows_contact_changes_and_long_text_shortened(acme, org, rep):
    CustomField.objects.create(entity="customers.contact", code="notes", label="Notes",
                               type="text")
    zhang = org["zhang"]
    zhang.lifecycle_stage = "customer"
    zhang.custom = {"notes": "Met at the fair; " + "very " * 100 + "long story"}
    zhang.save()
    newest = entries(history_card(text(rep.get(f"{CONTACTS}{zhang.pk}/"))))[0]
    stage = change_cell(newest, "lifecycle_stage")
    assert stage == "Lifecycle stage: Lead → changed to Customer"
    notes = change_cell(newest, "custom.notes")
    assert notes.startswith("Notes: — → changed to Met at the fair; very")
    assert "long story" not in notes
    assert notes.endswith("…")


def test_a_custom_field_change_shows_with_its_label(acme, org, rep):
    CustomField.objects.create(
        entity="customers.account", code="segment", label="Segment", label_zh_hans="细分市场",
        type="choice", choices=[{"value": "smb", "label": "Small business",
                                 "label_zh_hans": "小企业"},
                                {"value": "ent", "label": "Enterprise",
                                 "label_zh_hans": "大企业"}])
    mine = org["mine"]
    rep.post(f"{ACCOUNTS}{mine.pk}/edit/", account_form(mine, cf_segment="smb"))
    response = rep.post(f"{ACCOUNTS}{mine.pk}/edit/", account_form(mine, cf_segment="ent"))
    assert response.status_code == 302
    newest = entries(history_card(text(rep.get(f"{ACCOUNTS}{mine.pk}/"))))[0]
    assert change_cell(newest, "custom.segment") == \
        "Segment: Small business → changed to Enterprise"
    rep.cookies["django_language"] = "zh-hans"
    newest = entries(history_card(text(rep.get(f"{ACCOUNTS}{mine.pk}/"))))[0]
    assert change_cell(newest, "custom.segment").startswith("细分市场: 小企业")
    assert "大企业" in newest


def test_a_hidden_field_never_shows_to_the_rep_but_does_to_the_admin(acme, org, rep, admin):
    CustomField.objects.create(entity="customers.account", code="margin", label="Margin",
                               type="number")
    for field in ("annual_revenue", "custom.margin"):
        FieldRestriction.objects.create(entity="customers.account", field=field,
                                        hidden_from=["sales_rep"])
    mine = Account.objects.get(pk=org["mine"].pk)
    mine.annual_revenue = "7654321.00"
    # Not a shape a timestamp on the page can hold (a time has ":" before its seconds).
    mine.custom = {"margin": "842.75"}
    mine.industry = "Shipping"
    mine.save()
    for client, path in ((rep, f"{ACCOUNTS}{mine.pk}/"), (rep, f"{ACCOUNTS}{mine.pk}/history/")):
        page = text(client.get(path))
        shown = page if path.endswith("history/") else history_card(page)
        assert "Shipping" in shown  # the visible part of the same change
        for secret in ("annual_revenue", "Annual revenue", "7,654,321", "7654321",
                       "custom.margin", "Margin", "842.75"):
            assert secret not in shown, secret
    # A change of hidden fields only leaves an entry with nothing in it for the rep.
    mine.annual_revenue = "1.00"
    mine.save()
    newest = entries(text(rep.get(f"{ACCOUNTS}{mine.pk}/history/")))[0]
    assert "data-field" not in newest
    card = history_card(text(admin.get(f"{ACCOUNTS}{mine.pk}/")))
    assert change_cell(entries(card)[0], "annual_revenue") == \
        "Annual revenue: 7,654,321.00 → changed to 1.00"
    assert "Margin" in entries(card)[1]
    assert "842.75" in entries(card)[1]
    assert "Margin" in text(admin.get(f"{AUDIT}?record_id={mine.pk}"))


def test_a_rep_gets_404_on_another_teams_history(acme, org, rep, admin):
    for base, record in ((ACCOUNTS, org["other"]), (CONTACTS, Contact.objects.create(
            first_name="Sam", owner=org["rep2"], team=org["south"]))):
        assert rep.get(f"{base}{record.pk}/history/").status_code == 404
        assert admin.get(f"{base}{record.pk}/history/").status_code == 200
    assert rep.get(f"{ACCOUNTS}999999/history/").status_code == 404
    org["mine"].soft_delete()
    assert admin.get(f"{ACCOUNTS}{org['mine'].pk}/history/").status_code == 404
    customer = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    assert customer.get(f"{ACCOUNTS}{org['other'].pk}/history/").status_code == 403
    anonymous = host_client(acme.host)
    assert anonymous.get(f"{ACCOUNTS}{org['other'].pk}/history/").status_code == 302


def test_globex_cannot_see_acmes_history(acme, globex, org):
    mine = org["mine"]
    mine.tier = "platinum"
    mine.save()
    with tenant_context(globex.tenant):
        assert not Account.everything.filter(pk=mine.pk).exists()
    other_admin = signed_in(globex.host, globex.admin_email)
    assert other_admin.get(f"{ACCOUNTS}{mine.pk}/history/").status_code == 404
    page = text(other_admin.get(AUDIT))
    assert "Northwind" not in page
    assert "Platinum" not in page
    assert entries(text(other_admin.get(AUDIT, {"record_id": mine.pk}))) == []


def _age(entry_ids, days: int) -> None:
    AuditEntry.objects.filter(pk__in=entry_ids).update(
        at=timezone.now() - datetime.timedelta(days=days))


def test_the_admin_page_lists_and_filters_entries(acme, org, rep, admin):
    mine, zhang = org["mine"], org["zhang"]
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    _age(before, 30)  # the set-up's creations happened a month ago
    rep.post(f"{ACCOUNTS}{mine.pk}/edit/", account_form(mine, tier="bronze"))
    admin.post(f"{CONTACTS}{zhang.pk}/delete/")
    assert admin.get(f"{ACCOUNTS}export/", {"file": "csv", "tier": "bronze"}).status_code == 200

    page = text(admin.get(AUDIT))
    rows = entries(page)
    assert len(rows) == AuditEntry.objects.count()
    assert 'data-action="exported"' in rows[0]
    assert "CSV file, 1 row; filters: tier = bronze" in rows[0]
    assert 'data-action="deleted"' in rows[1]
    assert "张伟" in rows[1]
    assert "(deleted)" in rows[1]
    assert "href=" not in rows[1]
    assert f'href="{ACCOUNTS}{mine.pk}/"' in rows[2]
    assert "Rita Rep" in rows[2]
    assert 'aria-current="page" href="/app/settings/audit/"' in page  # the settings tab

    # Entries committed by earlier runs on a reused database are older than a day: the
    # filters below look at this test's own entries only.
    today = timezone.localdate()
    fresh = {"since": today - datetime.timedelta(days=1)}
    by_rep = entries(text(admin.get(AUDIT, {"actor": org["rep"].pk, **fresh})))
    assert len(by_rep) == 1
    assert "Bronze" in by_rep[0]
    deleted = entries(text(admin.get(AUDIT, {"action": "deleted", **fresh})))
    assert len(deleted) == 1
    assert "张伟" in deleted[0]
    contacts = entries(text(admin.get(AUDIT, {"record_type": "customers.contact",
                                              "record_id": zhang.pk})))
    assert len(contacts) == 2  # created, then deleted
    assert all("Contact" in row for row in contacts)
    one_record = entries(text(admin.get(AUDIT, {"record_type": "customers.account",
                                                 "record_id": mine.pk})))
    assert len(one_record) == 2
    recent = entries(text(admin.get(AUDIT, {"since": today - datetime.timedelta(days=1)})))
    assert len(recent) == 3
    old = entries(text(admin.get(AUDIT, {"until": today - datetime.timedelta(days=7)})))
    assert len(old) == len(before)
    window = entries(text(admin.get(AUDIT, {
        "since": today - datetime.timedelta(days=31), "until": today - datetime.timedelta(days=29),
        "record_type": "customers.account"})))
    assert len(window) == 2  # both accounts' creations
    page = text(admin.get(AUDIT, {"action": "restored"}))
    assert "No entries match these filters." in page


def test_entries_without_a_person_read_as_import_or_system(acme, org, admin):
    AuditEntry.objects.create(record_type="customers.contact", record_id="*",
                              action="created", changes={"import": "job-1", "rows": 3})
    org["mine"].tier = "bronze"
    org["mine"].save()  # outside any request: no one signed in made it
    rows = entries(text(admin.get(AUDIT)))
    assert "System" in rows[0]
    assert "Bronze" in rows[0]
    assert "Import" in rows[1]
    assert "3 rows imported" in rows[1]
    assert "Contacts" in rows[1]
    assert "System" in entries(history_card(text(admin.get(f"{ACCOUNTS}{org['mine'].pk}/"))))[0]


def test_the_admin_page_is_paged_by_fifty(acme, org, admin):
    for n in range(55):
        org["mine"].industry = f"Industry {n}"
        org["mine"].save()
    page = text(admin.get(AUDIT))
    assert len(entries(page)) == 50
    assert "Page 1 of 2" in page
    second = text(admin.get(AUDIT, {"page": 2}))
    assert len(entries(second)) == AuditEntry.objects.count() - 50
    full = text(admin.get(f"{ACCOUNTS}{org['mine'].pk}/history/"))
    assert len(entries(full)) == 50
    assert "Industry 54" in entries(full)[0]
    last = text(admin.get(f"{ACCOUNTS}{org['mine'].pk}/history/", {"page": 2}))
    assert len(entries(last)) == 6  # the rest of the edits and the creation


def test_only_tenant_admins_open_the_audit_trail(acme, org, rep):
    assert rep.get(AUDIT).status_code == 403
    customer = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    assert customer.get(AUDIT).status_code == 403
    assert host_client(acme.host).get(AUDIT).status_code == 302


@pytest.mark.parametrize(("query", "field"), [
    ({"record_id": "abc"}, "record_id"),
    ({"record_id": "-4"}, "record_id"),
    ({"since": "2026-13-45"}, "since"),
    ({"until": "yesterday"}, "until"),
    ({"actor": "999999"}, "actor"),
    ({"actor": "x"}, "actor"),
    ({"action": "shredded"}, "action"),
    ({"record_type": "core.user"}, "record_type"),
])
def test_bad_filter_values_show_form_errors(acme, org, admin, query, field):
    page = text(admin.get(AUDIT, query))
    assert f'id="id_{field}-error"' in page
    assert "is-invalid" in page
    assert entries(page) == []


def test_extreme_dates_do_not_break_the_page(acme, org, admin):
    page = text(admin.get(AUDIT, {"since": "0001-01-01", "until": "9999-12-31"}))
    assert len(entries(page)) == AuditEntry.objects.count()


def test_detail_page_queries_do_not_grow_with_the_history(acme, org, admin):
    account = Account.objects.create(name="Quiet Co", tier="gold", owner=org["rep"],
                                     team=org["north"])
    contact = Contact.objects.create(first_name="Quinn", account=account, owner=org["rep"],
                                     team=org["north"])

    def queries_for(path):
        with CaptureQueriesContext(connection) as captured:
            text(admin.get(path))
        return len(captured)

    one = queries_for(f"{ACCOUNTS}{account.pk}/"), queries_for(f"{CONTACTS}{contact.pk}/")
    people = [org["rep"], org["rep2"], org["admin"]]
    for n in range(1, 15):
        account.tier = ("gold", "silver", "bronze")[n % 3]
        account.owner = people[n % 3]
        account.team = (org["north"], org["south"])[n % 2]
        account.save()
        contact.title = f"Title {n}"
        contact.owner = people[n % 3]
        contact.team = account.team
        contact.account = (account, org["mine"])[n % 2]
        contact.save()
    assert AuditEntry.objects.filter(record_id=str(account.pk),
                                     record_type="customers.account").count() == 15
    fifteen = queries_for(f"{ACCOUNTS}{account.pk}/"), queries_for(f"{CONTACTS}{contact.pk}/")
    assert fifteen == one
    card = history_card(text(admin.get(f"{ACCOUNTS}{account.pk}/")))
    assert len(entries(card)) == 10
    assert "Sven" in card
    assert "South" in card
