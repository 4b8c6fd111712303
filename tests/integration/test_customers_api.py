"""Customer records over the API: CRUD, validation, visibility by role and team, search,
soft delete, and isolation between tenants."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP, SERVICE_AGENT
from crm_apps.customers.models import Account, Contact, Tag, Team
from tests.fixtures.world import admin_token, host_client, post, signed_in


@pytest.fixture
def org(in_acme):
    """Two sales teams: rep (team North, led by a manager) and rep2 (team South)."""
    from tenants.models import Plan

    # More colleagues than the world's plan allows (rolled back with the test).
    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    north_rep = create_user(email="north@acme.example", password="test-pass-123",
                            role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep, north_rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    accounts = {
        "rep": Account.objects.create(name="Rep's own", owner=rep),
        "north_rep": Account.objects.create(name="Teammate's", owner=north_rep),
        "north_team": Account.objects.create(name="Team North's", team=north),
        "rep2": Account.objects.create(name="South's", owner=rep2, team=south),
        "nobody": Account.objects.create(name="Unowned"),
    }
    return {"rep": rep, "rep2": rep2, "manager": manager, "north": north, "south": south,
            "accounts": accounts}


def names(response):
    assert response.status_code == 200, response.content[:300]
    return sorted(row["name"] for row in response.json()["results"])


def test_a_rep_creates_reads_updates_and_deletes_an_account(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    created = post(client, "/api/v1/accounts/", {
        "name": "环球贸易有限公司", "website": "https://www.Globaltrade.cn/about",
        "tier": "gold", "size": "50-249", "country": "cn"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"] == org["rep"].pk  # the creator owns it
    assert body["domain"] == "globaltrade.cn"
    assert body["country"] == "CN"
    path = f"/api/v1/accounts/{body['id']}/"
    changed = client.patch(path, json.dumps({"tier": "platinum"}),
                           content_type="application/json")
    assert changed.json()["tier"] == "platinum"
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert Account.everything.get(pk=body["id"]).deleted_at is not None  # in the bin
    assert post(client, f"{path}restore/", {}).status_code == 403  # only admins restore
    admin = signed_in(in_acme.host, "admin@acme.example")
    assert post(admin, f"{path}restore/", {}).status_code == 200
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("/api/v1/accounts/", {"name": ""}, "name"),
    ("/api/v1/accounts/", {"name": "X", "size": "huge"}, "size"),
    ("/api/v1/accounts/", {"name": "X", "country": "China"}, "country"),
    ("/api/v1/accounts/", {"name": "X", "website": "not a url"}, "website"),
    ("/api/v1/accounts/", {"name": "X", "tags": ["no-such-tag"]}, "tags"),
    ("/api/v1/accounts/", {"name": "X", "owner": 999999}, "owner"),
    ("/api/v1/contacts/", {"title": "CEO"}, "non_field_errors"),
    ("/api/v1/contacts/", {"email": "not-an-email"}, "email"),
    ("/api/v1/contacts/", {"email": "a@b.example", "other_emails": ["nope"]}, "other_emails"),
    ("/api/v1/contacts/", {"email": "a@b.example", "email_consent": True}, "consent_source"),
    ("/api/v1/contacts/", {"email": "a@b.example", "lifecycle_stage": "vip"},
     "lifecycle_stage"),
])
def test_bad_values_are_400_with_field_errors(in_acme, org, path, payload, field):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, path, payload)
    assert response.status_code == 400
    assert field in response.json()


def test_malformed_json_is_a_400_and_changes_nothing(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    account = org["accounts"]["rep"]
    response = client.patch(f"/api/v1/accounts/{account.pk}/", "{name: oops",
                            content_type="application/json")
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.name == "Rep's own"


def test_an_account_cannot_become_its_own_ancestor(in_acme, org):
    parent, child = org["accounts"]["rep"], org["accounts"]["north_rep"]
    child.parent = parent
    child.save()
    admin = signed_in(in_acme.host, "admin@acme.example")
    response = admin.patch(f"/api/v1/accounts/{parent.pk}/", json.dumps({"parent": child.pk}),
                           content_type="application/json")
    assert response.status_code == 400
    assert "parent" in response.json()


def test_visibility_follows_role_and_team(in_acme, org):
    host = in_acme.host
    everyone = ["Rep's own", "South's", "Team North's", "Teammate's", "Unowned"]
    assert names(signed_in(host, "rep@acme.example").get("/api/v1/accounts/")) == [
        "Rep's own", "Team North's", "Teammate's"]
    assert names(signed_in(host, "rep2@acme.example").get("/api/v1/accounts/")) == ["South's"]
    assert names(signed_in(host, "boss@acme.example").get("/api/v1/accounts/")) == [
        "Rep's own", "Team North's", "Teammate's"]
    assert names(signed_in(host, "admin@acme.example").get("/api/v1/accounts/")) == everyone
    create_user(email="agent@acme.example", password="test-pass-123", role=SERVICE_AGENT)
    assert names(signed_in(host, "agent@acme.example").get("/api/v1/accounts/")) == everyone


def test_a_rep_can_neither_read_nor_change_another_teams_record(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    theirs = org["accounts"]["rep2"]
    path = f"/api/v1/accounts/{theirs.pk}/"
    assert client.get(path).status_code == 404
    assert client.patch(path, json.dumps({"name": "mine now"}),
                        content_type="application/json").status_code == 404
    assert client.delete(path).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "South's"
    assert theirs.deleted_at is None
    # Search and filters never reach past the rule either.
    assert names(client.get("/api/v1/accounts/?q=South")) == []


def test_a_record_in_several_of_the_users_teams_is_listed_once(in_acme, org):
    org["south"].members.add(org["rep"])
    org["accounts"]["rep"].team = org["south"]
    org["accounts"]["rep"].save()
    client = signed_in(in_acme.host, "rep@acme.example")
    listed = names(client.get("/api/v1/accounts/?page_size=100"))
    assert listed.count("Rep's own") == 1


def test_portal_customers_have_no_access(in_acme, org):
    client = host_client(in_acme.host, email="customer@acme.example",
                         login_path="/portal/login/")
    assert client.get("/api/v1/accounts/").status_code == 403
    assert client.get("/api/v1/contacts/").status_code == 403


def test_another_tenant_sees_none_of_it(in_acme, org, globex):
    client = host_client(globex.host)
    token = {"HTTP_AUTHORIZATION": f"Token {admin_token(globex.tenant)}"}
    with tenant_context(globex.tenant):
        response = client.get("/api/v1/accounts/", **token)
    assert response.status_code == 200
    assert response.json()["results"] == []
    foreign = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get("/api/v1/accounts/", **foreign).status_code == 401


def test_search_finds_chinese_and_english_names(in_acme, org):
    account = Account.objects.create(name="上海环球贸易有限公司", owner=org["rep"])
    Contact.objects.create(first_name="伟", last_name="张", email="zhang.wei@example.cn",
                           account=account, owner=org["rep"])
    Contact.objects.create(first_name="Ada", last_name="Lovelace", email="ada@example.com",
                           owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")

    def contacts(query):
        rows = client.get("/api/v1/contacts/", {"q": query}).json()["results"]
        return sorted(row["email"] for row in rows)

    assert names(client.get("/api/v1/accounts/", {"q": "环球"})) == ["上海环球贸易有限公司"]
    assert contacts("张伟") == ["zhang.wei@example.cn"]
    assert contacts("伟") == ["zhang.wei@example.cn"]
    assert contacts("环球贸易") == ["zhang.wei@example.cn"]  # through the account's name
    assert contacts("ada lovelace") == ["ada@example.com"]
    assert contacts("nobody") == []


def test_filters_ordering_and_cursor_pages(in_acme, org):
    vip = Tag.objects.create(name="vip")
    for index in range(7):
        account = Account.objects.create(name=f"Firm {index}", owner=org["rep"],
                                         tier="gold" if index % 2 else "silver")
        if index < 3:
            account.tags.add(vip)
    client = signed_in(in_acme.host, "rep@acme.example")
    assert names(client.get("/api/v1/accounts/?tag=vip")) == ["Firm 0", "Firm 1", "Firm 2"]
    assert names(client.get("/api/v1/accounts/?tier=gold&q=Firm")) == [
        "Firm 1", "Firm 3", "Firm 5"]
    seen, url = [], "/api/v1/accounts/?q=Firm&ordering=name&page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["name"] for row in body["results"]]
        url = body["next"]
    assert seen == [f"Firm {index}" for index in range(7)]
    assert client.get("/api/v1/accounts/?tier=diamond").status_code == 400


def test_teams_tags_and_classes_are_admin_managed(in_acme, org):
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert rep.get("/api/v1/teams/").status_code == 200
    assert post(rep, "/api/v1/tags/", {"name": "hot"}).status_code == 403
    admin = signed_in(in_acme.host, "admin@acme.example")
    assert post(admin, "/api/v1/tags/", {"name": "hot"}).status_code == 201
    assert post(admin, "/api/v1/tags/", {"name": "hot"}).status_code == 400  # unique
    assert post(admin, "/api/v1/customer-classes/", {"name": "Reseller"}).status_code == 201
    created = post(rep, "/api/v1/accounts/", {"name": "Tagged", "tags": ["hot"],
                                              "classes": ["Reseller"]})
    assert created.json()["tags"] == ["hot"]
    assert created.json()["classes"] == ["Reseller"]


def test_every_change_is_audited_with_who_what_and_when(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    Tag.objects.create(name="vip")
    created = post(client, "/api/v1/accounts/", {"name": "Audited Ltd", "tier": "silver"})
    path = f"/api/v1/accounts/{created.json()['id']}/"
    client.patch(path, json.dumps({"tier": "gold", "tags": ["vip"]}),
                 content_type="application/json")
    client.patch(path, json.dumps({"tier": "gold"}), content_type="application/json")  # no-op
    client.delete(path)
    signed_in(in_acme.host, "admin@acme.example").post(f"{path}restore/")
    history = signed_in(in_acme.host, "admin@acme.example").get(f"{path}history/").json()
    entries = list(reversed(history["results"]))
    assert [e["action"] for e in entries] == ["created", "updated", "updated", "deleted",
                                              "restored"]
    assert entries[0]["changes"]["name"] == [None, "Audited Ltd"]
    assert entries[0]["actor_email"] == "rep@acme.example"
    assert {"tier": ["silver", "gold"]} in [e["changes"] for e in entries]
    assert {"tags": [[], ["vip"]]} in [e["changes"] for e in entries]
    assert entries[-1]["actor_email"] == "admin@acme.example"


def test_token_callers_are_the_actor_too(in_acme, org):
    client = host_client(in_acme.host)
    token = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    created = client.post("/api/v1/contacts/", json.dumps({"email": "t@example.com"}),
                          content_type="application/json", **token)
    assert created.status_code == 201
    history = client.get(f"/api/v1/contacts/{created.json()['id']}/history/", **token).json()
    assert history["results"][0]["actor_email"] == "admin@acme.example"


def test_the_audit_trail_is_for_admins_and_filterable(in_acme, org):
    rep = signed_in(in_acme.host, "rep@acme.example")
    since = timezone.now().isoformat()
    post(rep, "/api/v1/accounts/", {"name": "One"})
    contact = post(rep, "/api/v1/contacts/", {"email": "two@example.com"}).json()
    assert rep.get("/api/v1/audit/").status_code == 403
    admin = signed_in(in_acme.host, "admin@acme.example")
    contacts = admin.get("/api/v1/audit/", {"record_type": "customers.contact",
                                            "since": since}).json()["results"]
    assert [e["changes"]["email"][1] for e in contacts] == ["two@example.com"]
    assert [e["record_id"] for e in contacts] == [str(contact["id"])]
    by_rep = admin.get("/api/v1/audit/", {"actor": org["rep"].pk, "action": "created",
                                          "since": since}).json()
    assert len(by_rep["results"]) == 2
    assert admin.get("/api/v1/audit/?since=yesterday").status_code == 400


def test_history_of_an_invisible_record_is_a_404(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    theirs = org["accounts"]["rep2"]
    assert client.get(f"/api/v1/accounts/{theirs.pk}/history/").status_code == 404


@pytest.mark.parametrize(("path", "existing", "payload", "reason"), [
    ("/api/v1/accounts/", {"name": "Acme Trading", "website": "https://acmetrading.com"},
     {"name": "ACME Trading Co", "website": "http://www.acmetrading.com/contact"}, "domain"),
    ("/api/v1/accounts/", {"name": "Phone Co", "phone": "+86 21 5555-0100"},
     {"name": "Other name", "phone": "(86) 21 55550100"}, "phone"),
    ("/api/v1/accounts/", {"name": "Same Name GmbH"}, {"name": "same name gmbh"}, "name"),
    ("/api/v1/contacts/", {"email": "Li.Na@Example.cn"}, {"email": "li.na@example.cn"},
     "email"),
    ("/api/v1/contacts/", {"email": "x@example.cn", "mobile": "138 0013 8000"},
     {"email": "y@example.cn", "phone": "13800138000"}, "phone"),
])
def test_likely_duplicates_are_refused_unless_meant(in_acme, org, path, existing, payload,
                                                    reason):
    client = signed_in(in_acme.host, "rep@acme.example")
    first = post(client, path, existing)
    assert first.status_code == 201, first.content
    again = post(client, path, payload)
    assert again.status_code == 409
    assert again.json()["duplicates"] == [
        {"id": first.json()["id"], "name": again.json()["duplicates"][0]["name"],
         "reason": reason}]
    assert post(client, f"{path}?duplicates=allow", payload).status_code == 201


def test_a_duplicate_the_user_cannot_see_is_counted_not_shown(in_acme, org):
    Contact.objects.create(email="secret@example.com", owner=org["rep2"])
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/contacts/", {"email": "secret@example.com"})
    assert response.status_code == 409
    assert response.json()["duplicates"] == []
    assert response.json()["hidden_matches"] == 1


def test_bulk_reassign_moves_a_leaving_reps_records_in_one_go(in_acme, org):
    mine = [Account.objects.create(name=f"Mine {i}", owner=org["rep"]) for i in range(3)]
    theirs = org["accounts"]["rep2"]
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/accounts/bulk/", {
        "ids": [a.pk for a in mine] + [theirs.pk], "action": "reassign",
        "owner": org["manager"].pk})
    assert response.json() == {"action": "reassign", "changed": 3, "skipped": 1}
    assert set(Account.objects.filter(owner=org["manager"]).values_list("name", flat=True)) \
        >= {"Mine 0", "Mine 1", "Mine 2"}
    theirs.refresh_from_db()
    assert theirs.owner == org["rep2"]  # invisible to the caller: untouched
    admin = signed_in(in_acme.host, "admin@acme.example")
    trail = admin.get(f"/api/v1/audit/?record_id={mine[0].pk}&action=updated").json()
    assert trail["results"][0]["changes"]["owner"] == [org["rep"].pk, org["manager"].pk]


def test_bulk_tag_and_delete(in_acme, org):
    Tag.objects.create(name="churn-risk")
    contacts = [Contact.objects.create(email=f"c{i}@example.com", owner=org["rep"])
                for i in range(2)]
    client = signed_in(in_acme.host, "rep@acme.example")
    ids = [c.pk for c in contacts]
    tagged = post(client, "/api/v1/contacts/bulk/", {"ids": ids, "action": "tag",
                                                     "tags": ["churn-risk"]})
    assert tagged.json()["changed"] == 2
    assert all(c.tags.filter(name="churn-risk").exists() for c in contacts)
    deleted = post(client, "/api/v1/contacts/bulk/", {"ids": ids, "action": "delete"})
    assert deleted.json()["changed"] == 2
    assert not Contact.objects.filter(pk__in=ids).exists()
    assert Contact.everything.filter(pk__in=ids, deleted_at__isnull=False).count() == 2


@pytest.mark.parametrize("payload", [
    {"ids": [], "action": "delete"}, {"ids": [1], "action": "explode"},
    {"ids": [1], "action": "reassign"}, {"ids": [1], "action": "tag"},
    {"ids": ["x"], "action": "delete"}, {"ids": [1], "action": "tag", "tags": ["nope"]},
])
def test_bad_bulk_requests_are_400(in_acme, org, payload):
    response = post(signed_in(in_acme.host, "rep@acme.example"), "/api/v1/accounts/bulk/",
                    payload)
    assert response.status_code == 400


def test_merging_accounts_keeps_every_related_record(in_acme, org):
    keep = Account.objects.create(name="Globex China", owner=org["rep"], industry="")
    dupe = Account.objects.create(name="Globex CN", owner=org["rep"], industry="Energy",
                                  website="https://globex.cn")
    child = Account.objects.create(name="Globex Shanghai", owner=org["rep"], parent=dupe)
    people = [Contact.objects.create(email=f"p{i}@globex.cn", account=dupe,
                                     owner=org["rep"]) for i in range(2)]
    vip = Tag.objects.create(name="vip")
    dupe.tags.add(vip)
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, f"/api/v1/accounts/{keep.pk}/merge/", {"duplicate": dupe.pk})
    assert response.status_code == 200, response.content
    assert response.json()["moved"] == {"customers.account": 1, "customers.contact": 2}
    keep.refresh_from_db()
    assert keep.industry == "Energy"  # blank field filled from the duplicate
    assert keep.domain == "globex.cn"
    assert list(keep.tags.all()) == [vip]
    assert set(keep.contacts.all()) == set(people)
    child.refresh_from_db()
    assert child.parent == keep
    assert not Account.objects.filter(pk=dupe.pk).exists()  # binned, restorable
    assert Account.everything.get(pk=dupe.pk).deleted_at is not None


def test_merging_contacts_keeps_the_other_address(in_acme, org):
    keep = Contact.objects.create(first_name="Na", last_name="Li", email="li.na@a.cn",
                                  owner=org["rep"])
    dupe = Contact.objects.create(email="LINA@b.cn", phone="+86 138", owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    assert post(client, f"/api/v1/contacts/{keep.pk}/merge/",
                {"duplicate": dupe.pk}).status_code == 200
    keep.refresh_from_db()
    assert keep.other_emails == ["lina@b.cn"]
    assert keep.phone == "+86 138"
    # The merged-away address now finds the survivor as a duplicate.
    again = post(client, "/api/v1/contacts/", {"email": "lina@b.cn"})
    assert again.json()["duplicates"][0]["id"] == keep.pk


def test_merge_needs_two_visible_records(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    mine = org["accounts"]["rep"]
    assert post(client, f"/api/v1/accounts/{mine.pk}/merge/",
                {"duplicate": org["accounts"]["rep2"].pk}).status_code == 404
    assert post(client, f"/api/v1/accounts/{mine.pk}/merge/",
                {"duplicate": mine.pk}).status_code == 400
    assert post(client, f"/api/v1/accounts/{mine.pk}/merge/",
                {"duplicate": "x"}).status_code == 400
    assert Account.objects.filter(pk=org["accounts"]["rep2"].pk).exists()


def test_export_follows_filters_and_visibility_and_is_audited(in_acme, org):
    import csv
    import io

    Account.objects.create(name="=cmd|' /C calc'!A0", owner=org["rep"], tier="gold")
    Account.objects.create(name="北京科技", owner=org["rep"], tier="gold")
    Account.objects.create(name="Hidden gold", owner=org["rep2"], tier="gold")
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.get("/api/v1/accounts/export/?tier=gold&file=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["name"] for row in table) == ["'=cmd|' /C calc'!A0", "北京科技"]
    assert {row["owner"] for row in table} == {str(org["rep"])}
    admin = signed_in(in_acme.host, "admin@acme.example")
    trail = admin.get("/api/v1/audit/?action=exported").json()["results"]
    assert trail[0]["actor_email"] == "rep@acme.example"
    assert trail[0]["changes"] == {"format": "csv", "filters": {"tier": "gold"}, "rows": "2"}


def test_export_to_xlsx(in_acme, org):
    from openpyxl import load_workbook

    Contact.objects.create(first_name="伟", last_name="张", email="zw@example.cn",
                           owner=org["rep"])
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.get("/api/v1/contacts/export/?file=xlsx&q=张伟")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    values = [cell.value for cell in sheet[2]]
    assert dict(zip(header, values, strict=True))["email"] == "zw@example.cn"
    assert sheet.max_row == 2
    assert client.get("/api/v1/contacts/export/?file=pdf").status_code == 400


def test_the_bin_is_emptied_after_thirty_days(in_acme, org):
    from datetime import timedelta

    from django.utils import timezone

    from crm_apps.customers.tasks import empty_bin

    old, recent = org["accounts"]["rep"], org["accounts"]["rep2"]
    contact = Contact.objects.create(email="gone@example.com", account=old)
    for record, days in ((old, 31), (contact, 31), (recent, 29)):
        record.soft_delete()
        type(record).everything.filter(pk=record.pk).update(
            deleted_at=timezone.now() - timedelta(days=days))
    removed = empty_bin.apply().get()
    assert {kind: count for kind, count in removed.items() if count} == {
        "contact": 1, "account": 1}
    assert {"account", "contact", "activity"} <= set(removed)
    assert not Account.everything.filter(pk=old.pk).exists()
    assert not Contact.everything.filter(pk=contact.pk).exists()
    assert Account.everything.filter(pk=recent.pk).exists()  # still restorable


def test_export_queries_do_not_grow_with_the_rows(in_acme, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(in_acme.host, "admin@acme.example")
    parent = Account.objects.create(name="Holding", owner=org["rep"])

    def queries_for_export():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/accounts/export/?file=csv")
            b"".join(response.streaming_content)
        return len(captured)

    Account.objects.create(name="Sub 0", parent=parent, owner=org["rep"])
    few = queries_for_export()
    for index in range(1, 8):
        Account.objects.create(name=f"Sub {index}", parent=parent, owner=org["rep2"],
                               team=org["south"])
    assert queries_for_export() == few
