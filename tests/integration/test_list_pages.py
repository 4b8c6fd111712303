"""The account and contact list pages: columns, custom-field filters, bulk actions on a
selection, exports, merging duplicates and the bin, through the pages as people use them."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import SALES_REP
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact, Tag, Team
from crm_apps.customization.models import CustomField, FieldRestriction
from tests.fixtures.world import PASSWORD, host_client, signed_in

ACCOUNTS = "/app/customers/accounts/"
CONTACTS = "/app/customers/contacts/"
BIN = "/app/customers/bin/"


@pytest.fixture
def org(in_acme):
    """rep (team North) and rep2 (team South), with accounts, contacts and custom fields."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-lists", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    admin = get_user_model().objects.get(email="admin@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP,
                       first_name="Second")
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    vip = Tag.objects.create(name="vip")
    cold = Tag.objects.create(name="cold")
    segment = CustomField.objects.create(
        entity="customers.account", code="segment", label="Segment", type="choice",
        show_in_list=True, choices=[{"value": "smb", "label": "Small business"},
                                    {"value": "ent", "label": "Enterprise"}])
    employees = CustomField.objects.create(entity="customers.account", code="employees",
                                           label="Employees", type="number")
    mine = Account.objects.create(name="北京科技有限公司", industry="Software", tier="gold",
                                  owner=rep, team=north, city="Beijing", phone="010-5555",
                                  annual_revenue="1200000.00",
                                  custom={"segment": "smb", "employees": "120"})
    mine_too = Account.objects.create(name="Harbin Metals", industry="Metals", tier="silver",
                                      owner=rep, custom={"segment": "ent", "employees": "40"})
    other = Account.objects.create(name="Southern Steel", industry="Metals", tier="gold",
                                   owner=rep2, team=south)
    zhang = Contact.objects.create(first_name="伟", last_name="张", account=mine, owner=rep,
                                   email="zhang@bjtech.example", phone="138 0000 1111")
    zhang_again = Contact.objects.create(first_name="Wei", last_name="Zhang", owner=rep,
                                         email="wei.zhang@other.example", phone="13800001111",
                                         title="CTO")
    theirs = Contact.objects.create(first_name="Sam", last_name="South", account=other,
                                    owner=rep2, email="sam@steel.example")
    return {"rep": rep, "rep2": rep2, "admin": admin, "north": north, "south": south,
            "vip": vip, "cold": cold, "segment": segment, "employees": employees,
            "mine": mine, "mine_too": mine_too, "other": other, "zhang": zhang,
            "zhang_again": zhang_again, "theirs": theirs}


def text(response):
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def bulk(client, base, payload):
    return client.post(f"{base}bulk/", payload, follow=True)


# Columns and filters


def test_default_columns_include_custom_fields_shown_in_lists(acme, org):
    page = text(signed_in(acme.host, acme.admin_email).get(ACCOUNTS))
    assert ">Segment</th>" in page
    assert "Small business" in page  # the choice's label, not its stored value
    assert "Employees</th>" not in page  # not shown in lists by default
    assert 'name="columns" value="custom.employees"' in page  # but on offer


def test_chosen_columns_from_the_address(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(ACCOUNTS, {"columns": "phone,custom.employees,annual_revenue"}))
    assert "Phone</th>" in page
    assert "010-5555" in page
    assert "Employees</th>" in page
    assert ">120<" in page
    assert "1,200,000.00" in page
    assert "Industry</a></th>" not in page
    page = text(admin.get(CONTACTS, {"columns": ["title", "phone"]}))  # repeated form works
    assert "Job title</th>" in page
    assert ">CTO<" in page
    page = text(admin.get(ACCOUNTS, {"columns": "password,nothing"}))  # unknown: defaults
    assert "Industry</a></th>" in page


def test_hidden_fields_are_never_offered_as_columns_or_filters(acme, org):
    FieldRestriction.objects.create(entity="customers.account", field="industry",
                                    hidden_from=["sales_rep"])
    FieldRestriction.objects.create(entity="customers.account", field="custom.segment",
                                    hidden_from=["sales_rep"])
    FieldRestriction.objects.create(entity="customers.account", field="annual_revenue",
                                    hidden_from=["sales_rep"])
    rep = signed_in(acme.host, acme.rep_email)
    page = text(rep.get(ACCOUNTS, {"columns": "industry,custom.segment,annual_revenue",
                                   "industry": "Software", "cf_segment": "smb",
                                   "sort": "industry"}))
    assert 'id="f-industry"' not in page
    assert 'name="cf_segment"' not in page
    assert "Segment" not in page
    assert "Small business" not in page
    assert "Industry" not in page
    assert "1,200,000.00" not in page
    assert 'value="industry"' not in page
    assert 'value="annual_revenue"' not in page
    # The refused filters were not applied either: both of the rep's accounts are listed.
    assert "北京科技有限公司" in page
    assert "Harbin Metals" in page
    admin_page = text(signed_in(acme.host, acme.admin_email).get(
        ACCOUNTS, {"columns": "industry,custom.segment,annual_revenue"}))
    assert "Small business" in admin_page
    assert "1,200,000.00" in admin_page


def test_custom_field_filters(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(ACCOUNTS))
    assert '<select class="form-select" id="f-cf-segment" name="cf_segment">' in page
    assert 'name="cf_employees_min"' in page
    assert 'name="cf_employees_max"' in page
    page = text(admin.get(ACCOUNTS, {"cf_segment": "ent"}))
    assert "Harbin Metals" in page
    assert "北京科技有限公司" not in page
    page = text(admin.get(ACCOUNTS, {"cf_employees_min": "100"}))
    assert "北京科技有限公司" in page
    assert "Harbin Metals" not in page
    page = text(admin.get(ACCOUNTS, {"cf_employees_min": "10", "cf_employees_max": "50"}))
    assert "Harbin Metals" in page
    assert "北京科技有限公司" not in page
    page = text(admin.get(ACCOUNTS, {"cf_employees_min": "lots"}))
    assert "is-invalid" in page  # said, not a server error
    assert "Enter a number." in page


def test_query_count_does_not_depend_on_the_page_size(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    tags = [org["vip"], org["cold"]]
    for n in range(60):
        account = Account.objects.create(name=f"Bulk {n:02}", owner=org["rep"], team=org["north"],
                                         parent=org["mine"], custom={"segment": "smb"})
        account.tags.add(*tags)
        contact = Contact.objects.create(first_name=f"Bulk{n:02}", account=account,
                                         owner=org["rep"], team=org["north"])
        contact.tags.add(*tags)

    def queries_for(path, size, columns):
        with CaptureQueriesContext(connection) as captured:
            page = text(admin.get(path, {"per_page": size, "columns": columns}))
        assert page.count('class="form-check-input row-check"') == size
        return len(captured)

    every_account_column = ("industry,tier,city,tags,owner,created,phone,website,size,country,"
                            "territory,annual_revenue,team,parent,custom.segment")
    every_contact_column = "account,email,lifecycle_stage,tags,owner,created,title,team"
    assert (queries_for(ACCOUNTS, 10, every_account_column)
            == queries_for(ACCOUNTS, 50, every_account_column))
    assert (queries_for(CONTACTS, 10, every_contact_column)
            == queries_for(CONTACTS, 50, every_contact_column))


# Bulk actions


def test_bulk_reassign_skips_what_the_user_cannot_see(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    ids = [org["mine"].pk, org["mine_too"].pk, org["other"].pk, 999999]
    response = bulk(rep, ACCOUNTS, {"action": "reassign", "owner": org["rep2"].pk,
                                    "ids": ids, "query": "tier=gold"})
    assert response.redirect_chain[-1][0] == f"{ACCOUNTS}?tier=gold"
    said = shown_messages(response)
    assert "2 records given to Second." in said[0]
    assert "2 selected records were skipped" in said[1]
    assert set(Account.objects.filter(owner=org["rep2"]).values_list("pk", flat=True)) == {
        org["mine"].pk, org["mine_too"].pk, org["other"].pk}
    entry = AuditEntry.objects.filter(record_type="customers.account",
                                      record_id=str(org["mine"].pk), action="updated").first()
    assert entry.actor.email == "rep@acme.example"
    assert entry.changes["owner"] == [org["rep"].pk, org["rep2"].pk]


def test_bulk_add_and_remove_a_tag(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    ids = [org["zhang"].pk, org["zhang_again"].pk, org["theirs"].pk]
    response = bulk(rep, CONTACTS, {"action": "tag", "tag": org["vip"].pk, "ids": ids})
    assert "Tag “vip” added to 2 records." in shown_messages(response)[0]
    assert org["zhang"].tags.filter(name="vip").exists()
    assert not org["theirs"].tags.exists()
    response = bulk(rep, CONTACTS, {"action": "untag", "tag": org["vip"].pk,
                                    "ids": [org["zhang"].pk]})
    assert "Tag “vip” removed from 1 record." in shown_messages(response)[0]
    assert not org["zhang"].tags.exists()
    assert org["zhang_again"].tags.filter(name="vip").exists()
    assert AuditEntry.objects.filter(record_type="customers.contact",
                                     record_id=str(org["zhang"].pk),
                                     changes__has_key="tags").count() == 2


def test_tags_hidden_from_a_role_cannot_be_changed_in_bulk(acme, org):
    FieldRestriction.objects.create(entity="customers.contact", field="tags",
                                    hidden_from=["sales_rep"])
    rep = signed_in(acme.host, acme.rep_email)
    assert 'value="tag"' not in text(rep.get(CONTACTS))
    response = bulk(rep, CONTACTS, {"action": "tag", "tag": org["vip"].pk,
                                    "ids": [org["zhang"].pk]})
    assert "Tags are hidden from your role." in shown_messages(response)
    assert not org["zhang"].tags.exists()


def test_select_all_matching_the_filters(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    response = bulk(admin, ACCOUNTS, {"action": "tag", "tag": org["cold"].pk,
                                      "scope": "matching", "query": "tier=gold"})
    assert "added to 2 records" in shown_messages(response)[0]
    assert set(Account.objects.filter(tags=org["cold"]).values_list("pk", flat=True)) == {
        org["mine"].pk, org["other"].pk}
    # A rep's "all matching" is all matching among what they see.
    rep = signed_in(acme.host, acme.rep_email)
    bulk(rep, ACCOUNTS, {"action": "reassign", "owner": org["admin"].pk,
                         "scope": "matching", "query": "tier=gold"})
    assert Account.objects.get(pk=org["mine"].pk).owner == org["admin"]
    assert Account.objects.get(pk=org["other"].pk).owner == org["rep2"]


def test_list_offers_selection_controls(acme, org):
    for n in range(12):
        Account.objects.create(name=f"Extra {n}", owner=org["rep"])
    page = text(signed_in(acme.host, acme.rep_email).get(ACCOUNTS, {"per_page": 10}))
    assert 'id="select-page"' in page
    assert "Select all 14 rows matching these filters" in page
    assert 'value="reassign"' in page
    assert 'value="merge"' in page


@pytest.mark.parametrize("payload", [
    {"action": "steal", "ids": ["1"]},
    {"action": "reassign", "ids": ["1", "two"], "owner": "1"},
    {"action": "reassign", "ids": ["-1"], "owner": "1"},
    {"action": "tag", "ids": []},
    {"action": "tag"},
    {"action": "merge", "ids": ["1"]},
    {"action": "export", "ids": ["1"], "file": "pdf"},
    {"action": "tag", "ids": ["1"], "tag": "not-a-tag"},
    {"action": "reassign", "ids": ["1"], "owner": "x"},
])
def test_bad_bulk_input_is_answered_with_a_message(acme, org, payload):
    rep = signed_in(acme.host, acme.rep_email)
    before = list(Account.everything.order_by("pk").values_list("pk", "owner_id", "deleted_at"))
    response = bulk(rep, ACCOUNTS, payload)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(ACCOUNTS)
    assert shown_messages(response)
    assert list(Account.everything.order_by("pk").values_list(
        "pk", "owner_id", "deleted_at")) == before


def test_reassign_only_to_active_staff(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    customer = get_user_model().objects.get(email="customer@acme.example")
    org["rep2"].is_active = False
    org["rep2"].save()
    for owner in (customer, org["rep2"]):
        response = bulk(rep, ACCOUNTS, {"action": "reassign", "owner": owner.pk,
                                        "ids": [org["mine"].pk]})
        assert "Choose the new owner among the active staff." in shown_messages(response)
    assert Account.objects.get(pk=org["mine"].pk).owner == org["rep"]


def test_bulk_delete_asks_first_then_moves_to_the_bin(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    ids = [org["zhang"].pk, org["theirs"].pk]
    page = text(rep.post(f"{CONTACTS}bulk/", {"action": "delete", "ids": ids}))
    assert "Delete 1 record?" in page
    assert "1 selected record is not yours to see" in page
    assert Contact.objects.filter(pk=org["zhang"].pk).exists()
    response = bulk(rep, CONTACTS, {"action": "delete", "ids": ids, "confirmed": "yes"})
    assert "1 record moved to the bin" in shown_messages(response)[0]
    assert Contact.everything.get(pk=org["zhang"].pk).deleted_at is not None
    assert Contact.objects.filter(pk=org["theirs"].pk).exists()
    assert AuditEntry.objects.filter(record_type="customers.contact", action="deleted",
                                     record_id=str(org["zhang"].pk)).exists()


# Exports


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def test_export_the_filtered_list(acme, org):
    FieldRestriction.objects.create(entity="customers.account", field="annual_revenue",
                                    hidden_from=["sales_rep"])
    rep = signed_in(acme.host, acme.rep_email)
    page = text(rep.get(ACCOUNTS, {"tier": "gold"}))
    assert f'href="{ACCOUNTS}export/?tier=gold&amp;file=csv"' in page
    rows = rows_of(rep.get(f"{ACCOUNTS}export/", {"tier": "gold", "file": "csv"}))
    assert [row["name"] for row in rows] == ["北京科技有限公司"]  # not another team's
    assert "annual_revenue" not in rows[0]
    assert rows[0]["custom.segment"] == "Small business"
    entry = AuditEntry.objects.filter(action="exported").latest("id")
    assert entry.actor.email == "rep@acme.example"
    assert entry.changes["filters"] == {"tier": "gold"}
    assert entry.changes["format"] == "csv"
    admin = signed_in(acme.host, acme.admin_email)
    rows = rows_of(admin.get(f"{ACCOUNTS}export/", {"sort": "name", "file": "csv"}))
    assert [row["name"] for row in rows] == ["Harbin Metals", "Southern Steel", "北京科技有限公司"]
    assert rows[-1]["annual_revenue"] == "1200000.00"
    response = admin.get(f"{CONTACTS}export/", {"file": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert admin.get(f"{ACCOUNTS}export/", {"file": "pdf"}).status_code == 400


def test_export_a_selection(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    response = rep.post(f"{CONTACTS}bulk/", {
        "action": "export", "file": "csv",
        "ids": [org["zhang"].pk, org["theirs"].pk]})
    rows = rows_of(response)
    assert [row["email"] for row in rows] == ["zhang@bjtech.example"]
    entry = AuditEntry.objects.filter(action="exported").latest("id")
    assert entry.record_type == "customers.contact"
    response = rep.post(f"{CONTACTS}bulk/", {"action": "export", "file": "xlsx",
                                             "ids": [org["zhang"].pk]})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# Merge


def test_merge_two_contacts_through_the_pages(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    survivor, duplicate = org["zhang"], org["zhang_again"]
    note = Activity.objects.create(kind="note", subject="Met at the fair", contact=duplicate)
    duplicate.tags.add(org["cold"])
    response = admin.post(f"{CONTACTS}bulk/", {"action": "merge",
                                               "ids": [survivor.pk, duplicate.pk]})
    assert response.status_code == 302
    compare = response.url
    assert compare == f"{CONTACTS}merge/?ids={survivor.pk}&ids={duplicate.pk}"
    page = text(admin.get(compare))
    assert "wei.zhang@other.example" in page
    assert "zhang@bjtech.example" in page
    assert f'name="keep_email" value="{duplicate.pk}"' in page
    assert f'name="keep_title" value="{duplicate.pk}" id="keep-title-{duplicate.pk}" checked' \
        in page  # the survivor has no title: the other's is proposed
    response = admin.post(f"{CONTACTS}merge/", {
        "ids": [survivor.pk, duplicate.pk], "survivor": survivor.pk,
        "keep_email": duplicate.pk, "keep_first_name": survivor.pk,
        "keep_last_name": survivor.pk, "keep_title": duplicate.pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"{CONTACTS}{survivor.pk}/"
    assert "was merged into" in shown_messages(response)[0]
    survivor.refresh_from_db()
    assert survivor.email == "wei.zhang@other.example"
    assert "zhang@bjtech.example" in survivor.other_emails
    assert survivor.first_name == "伟"
    assert survivor.title == "CTO"
    assert survivor.account == org["mine"]
    assert survivor.tags.filter(name="cold").exists()
    assert Activity.objects.get(pk=note.pk).contact_id == survivor.pk
    assert Contact.everything.get(pk=duplicate.pk).deleted_at is not None
    # The survivor's history records the merge, by whom, and what moved over.
    merged = AuditEntry.objects.get(action="merged", record_type="customers.contact",
                                    record_id=str(survivor.pk))
    assert merged.actor.email == acme.admin_email
    assert merged.changes["merged"]["id"] == duplicate.pk
    assert merged.changes["moved"]["activities.activity"] == 1
    history = text(admin.get(f"{CONTACTS}{survivor.pk}/history/"))
    assert f"(#{duplicate.pk}); 1 related record moved." in history


def test_merge_two_accounts_keeps_their_contacts(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    survivor, duplicate = org["mine_too"], org["mine"]
    response = admin.post(f"{ACCOUNTS}merge/", {
        "ids": [survivor.pk, duplicate.pk], "survivor": survivor.pk,
        f"keep_custom.{org['employees'].code}": duplicate.pk, "keep_city": duplicate.pk})
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.name == "Harbin Metals"
    assert survivor.custom == {"segment": "ent", "employees": "120"}
    assert survivor.city == "Beijing"
    assert Contact.objects.get(pk=org["zhang"].pk).account_id == survivor.pk
    assert Account.everything.get(pk=duplicate.pk).deleted_at is not None


def test_merge_needs_both_records_visible(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    pair = [org["zhang"].pk, org["theirs"].pk]
    assert rep.get(f"{CONTACTS}merge/", {"ids": pair}).status_code == 404
    response = rep.post(f"{CONTACTS}merge/", {"ids": pair, "survivor": org["zhang"].pk})
    assert response.status_code == 404
    assert Contact.objects.filter(pk=org["theirs"].pk).exists()
    response = rep.get(f"{CONTACTS}merge/", {"ids": [org["zhang"].pk]}, follow=True)
    assert "Select exactly two records to merge." in shown_messages(response)
    response = rep.post(f"{CONTACTS}merge/", {"ids": [org["zhang"].pk,
                                                      org["zhang_again"].pk]})
    assert response.status_code == 400  # no survivor chosen
    assert "Choose the record that stays." in response.content.decode()


def test_merge_with_from_the_detail_page(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    page = text(rep.get(f"{CONTACTS}{org['zhang'].pk}/"))
    assert f'href="{CONTACTS}{org["zhang"].pk}/merge/"' in page
    page = text(rep.get(f"{CONTACTS}{org['zhang'].pk}/merge/"))
    assert "Wei Zhang" in page  # same phone number
    assert f"?ids={org['zhang'].pk}&amp;ids={org['zhang_again'].pk}" in page
    page = text(rep.get(f"{CONTACTS}{org['zhang'].pk}/merge/", {"q": "South"}))
    assert "Sam South" not in page  # another team's
    assert rep.get(f"{CONTACTS}{org['theirs'].pk}/merge/").status_code == 404
    page = text(rep.get(f"{ACCOUNTS}{org['mine'].pk}/merge/", {"q": "Harbin"}))
    assert "Harbin Metals" in page


# The bin


def test_admin_bin_lists_and_restores(acme, org):
    rep = signed_in(acme.host, acme.rep_email)
    bulk(rep, CONTACTS, {"action": "delete", "ids": [org["zhang"].pk], "confirmed": "yes"})
    old = Account.objects.create(name="Long gone", owner=org["rep"])
    old.soft_delete()
    Account.everything.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(BIN))
    assert "张伟" in page
    assert "rep@acme.example" in page  # who deleted it
    assert "Long gone" not in page
    response = admin.post(f"{BIN}restore/", {"kind": "contact", "id": org["zhang"].pk},
                          follow=True)
    assert response.redirect_chain[-1][0] == BIN
    assert "“张伟” restored." in shown_messages(response)
    assert Contact.objects.filter(pk=org["zhang"].pk).exists()
    assert AuditEntry.objects.filter(record_type="customers.contact", action="restored",
                                     record_id=str(org["zhang"].pk)).exists()
    assert admin.post(f"{BIN}restore/", {"kind": "account", "id": old.pk}).status_code == 404
    assert admin.post(f"{BIN}restore/", {"kind": "nope", "id": "x"}).status_code == 404
    page = text(admin.get(ACCOUNTS))
    assert f'href="{BIN}"' in page


def test_a_deleted_activity_waits_in_the_bin_and_goes_after_thirty_days(acme, org):
    from crm_apps.customers.tasks import empty_bin

    rep = signed_in(acme.host, acme.rep_email)
    note = Activity.objects.create(kind="note", subject="Price list sent", owner=org["rep"],
                                   contact=org["zhang"])
    old = Activity.objects.create(kind="note", subject="Ancient note", owner=org["rep"])
    old.soft_delete()
    Activity.everything.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert rep.post(f"/app/activities/{note.pk}/delete/").status_code == 302
    assert not Activity.objects.filter(pk=note.pk).exists()
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(BIN))
    assert "Price list sent" in page
    assert "Ancient note" not in page
    response = admin.post(f"{BIN}restore/", {"kind": "activity", "id": note.pk}, follow=True)
    assert "“Price list sent” restored." in shown_messages(response)
    assert Activity.objects.filter(pk=note.pk).exists()
    assert empty_bin.apply().get()["activity"] == 1
    assert not Activity.everything.filter(pk=old.pk).exists()


def test_only_tenant_admins_use_the_bin(acme, org):
    org["zhang"].soft_delete()
    rep = signed_in(acme.host, acme.rep_email)
    assert rep.get(BIN).status_code == 403
    assert rep.post(f"{BIN}restore/", {"kind": "contact",
                                       "id": org["zhang"].pk}).status_code == 403
    assert not Contact.objects.filter(pk=org["zhang"].pk).exists()
    assert f'href="{BIN}"' not in text(rep.get(ACCOUNTS))


# Another tenant


def test_another_tenant_cannot_act_on_these_records(acme, globex, org):
    mine_pk, zhang_pk = org["mine"].pk, org["zhang"].pk
    org["zhang_again"].soft_delete()
    with tenant_context(globex.tenant):
        stranger = signed_in(globex.host, globex.admin_email)
        response = bulk(stranger, ACCOUNTS, {"action": "delete", "ids": [mine_pk],
                                             "confirmed": "yes"})
        assert "1 selected record was skipped" in " ".join(shown_messages(response))
        response = stranger.post(f"{CONTACTS}bulk/", {"action": "export", "file": "csv",
                                                      "ids": [zhang_pk]})
        assert rows_of(response) == []
        assert stranger.get(f"{CONTACTS}merge/", {
            "ids": [zhang_pk, org["theirs"].pk]}).status_code == 404
        assert stranger.post(f"{BIN}restore/", {
            "kind": "contact", "id": org["zhang_again"].pk}).status_code == 404
        assert "张伟" not in text(stranger.get(CONTACTS))
    assert Account.objects.filter(pk=mine_pk).exists()
    assert Contact.everything.get(pk=org["zhang_again"].pk).deleted_at is not None


def test_portal_customers_and_strangers_are_kept_out(acme, org):
    customer = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    pair = {"ids": [org["zhang"].pk, org["zhang_again"].pk]}
    for method, path, data in [
        ("post", f"{CONTACTS}bulk/", {"action": "delete", "confirmed": "yes", **pair}),
        ("get", f"{CONTACTS}export/", {"file": "csv"}),
        ("get", f"{CONTACTS}merge/", pair),
        ("get", f"{CONTACTS}{org['zhang'].pk}/merge/", {}),
        ("post", f"{ACCOUNTS}views/", {"name": "Sneaky"}),
        ("get", BIN, {}),
    ]:
        assert getattr(customer, method)(path, data).status_code == 403, path
        anonymous = getattr(host_client(acme.host), method)(path, data)
        assert anonymous.status_code == 302, path
        assert "/app/login/" in anonymous.url
    assert Contact.objects.filter(pk=org["zhang"].pk).exists()
