"""The account and contact pages of the back office: lists, filters, forms, delete, access."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Contact, Tag, Team
from tests.fixtures.world import PASSWORD, host_client, signed_in

ACCOUNTS = "/app/customers/accounts/"
CONTACTS = "/app/customers/contacts/"




@pytest.fixture
def org(in_acme):
    """rep (team North) and rep2 (team South), each with an account and a contact."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-pages", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    vip = Tag.objects.create(name="vip")
    mine = Account.objects.create(name="北京科技有限公司", industry="Software", tier="gold",
                                  owner=rep, team=north, city="Beijing")
    mine.tags.add(vip)
    other = Account.objects.create(name="Southern Steel", industry="Metals", tier="silver",
                                   owner=rep2, team=south)
    zhang = Contact.objects.create(first_name="伟", last_name="张", account=mine, owner=rep,
                                   email="zhang@bjtech.example", lifecycle_stage="customer")
    zhang.tags.add(vip)
    theirs = Contact.objects.create(first_name="Sam", last_name="South", account=other,
                                    owner=rep2, email="sam@steel.example")
    return {"rep": rep, "rep2": rep2, "north": north, "south": south, "vip": vip,
            "mine": mine, "other": other, "zhang": zhang, "theirs": theirs}


def text(response):
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_lists_show_only_visible_records(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    page = text(client.get(ACCOUNTS))
    assert "北京科技有限公司" in page
    assert "Southern Steel" not in page
    page = text(client.get(CONTACTS))
    assert "zhang@bjtech.example" in page
    assert "sam@steel.example" not in page
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(ACCOUNTS))
    assert "北京科技有限公司" in page
    assert "Southern Steel" in page


def test_search_finds_chinese_names(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(ACCOUNTS, {"q": "科技"}))
    assert "北京科技有限公司" in page
    assert "Southern Steel" not in page
    page = text(admin.get(CONTACTS, {"q": "张伟"}))
    assert "zhang@bjtech.example" in page
    assert "sam@steel.example" not in page


def test_filters_and_sorting(acme, org):
    admin = signed_in(acme.host, acme.admin_email)
    page = text(admin.get(ACCOUNTS, {"tier": "silver"}))
    assert "Southern Steel" in page
    assert "北京科技有限公司" not in page
    page = text(admin.get(ACCOUNTS, {"industry": "Software", "tag": "vip"}))
    assert "北京科技有限公司" in page
    assert "Southern Steel" not in page
    page = text(admin.get(ACCOUNTS, {"owner": org["rep2"].pk}))
    assert "Southern Steel" in page
    assert "北京科技有限公司" not in page
    page = text(admin.get(CONTACTS, {"lifecycle_stage": "customer"}))
    assert "zhang@bjtech.example" in page
    assert "sam@steel.example" not in page
    page = text(admin.get(ACCOUNTS, {"sort": "name"}))
    assert page.index("Southern Steel") < page.index("北京科技有限公司")
    page = text(admin.get(ACCOUNTS, {"sort": "-name"}))
    assert page.index("北京科技有限公司") < page.index("Southern Steel")
    text(admin.get(ACCOUNTS, {"sort": "password", "owner": "not-a-number"}))  # ignored


def test_empty_state(acme, in_acme):
    page = text(signed_in(acme.host, acme.rep_email).get(ACCOUNTS, {"q": "nothing-like-this"}))
    assert "No accounts match these filters." in page
    assert "No contacts yet." in text(signed_in(acme.host, acme.rep_email).get(CONTACTS))


def test_pagination_and_constant_queries(acme, org):
    admin = signed_in(acme.host, acme.admin_email)

    def queries_for(path):
        with CaptureQueriesContext(connection) as captured:
            text(admin.get(path))
        return len(captured)

    few_accounts, few_contacts = queries_for(ACCOUNTS), queries_for(CONTACTS)
    tags = [Tag.objects.create(name=f"t{n}") for n in range(3)]
    for n in range(60):
        account = Account.objects.create(name=f"Bulk {n:02}", owner=org["rep"])
        account.tags.add(*tags)
        contact = Contact.objects.create(first_name=f"Bulk{n:02}", account=account,
                                         owner=org["rep"])
        contact.tags.add(*tags)
    assert queries_for(ACCOUNTS) == few_accounts
    assert queries_for(CONTACTS) == few_contacts
    page = text(admin.get(ACCOUNTS, {"sort": "name", "page": 2}))
    assert "Page 2 of 2" in page
    assert "Bulk 59" in page
    assert "Bulk 00" not in page
    assert "sort=name&amp;page=1" in page


def test_detail_pages(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    page = text(client.get(f"{ACCOUNTS}{org['mine'].pk}/"))
    assert "北京科技有限公司" in page
    assert "zhang@bjtech.example" in page
    assert ">张伟</a>" in page
    assert "vip" in page
    page = text(client.get(f"{CONTACTS}{org['zhang'].pk}/"))
    assert f'href="{ACCOUNTS}{org["mine"].pk}/"' in page


def test_create_account_defaults_owner_and_saves(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    page = text(client.get(f"{ACCOUNTS}new/"))
    assert f'<option value="{org["rep"].pk}" selected>' in page
    response = client.post(f"{ACCOUNTS}new/", {
        "name": "上海贸易", "tier": "gold", "website": "https://www.shanghai-trade.example/",
        "country": "cn", "owner": org["rep"].pk, "team": org["north"].pk,
        "tags": [org["vip"].pk]}, follow=True)
    account = Account.objects.get(name="上海贸易")
    assert response.redirect_chain[-1][0] == f"{ACCOUNTS}{account.pk}/"
    assert account.country == "CN"
    assert account.domain == "shanghai-trade.example"
    assert list(account.tags.all()) == [org["vip"]]
    assert "Account “上海贸易” created." in response.content.decode()


def test_invalid_forms_show_errors_and_save_nothing(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    before = Account.everything.count(), Contact.everything.count()
    page = text(client.post(f"{ACCOUNTS}new/", {"name": " ", "website": "not a site",
                                                "country": "c1"}))
    assert "Give the account a name." in page
    assert "Enter a full web address" in page
    assert "Use a two-letter country code" in page
    assert "is-invalid" in page
    page = text(client.post(f"{CONTACTS}new/", {"first_name": "", "email": ""}))
    assert "Enter a name or an e-mail address" in page
    page = text(client.post(f"{CONTACTS}new/", {"first_name": "X", "email": "nope",
                                                "account": org["other"].pk}))
    assert "Enter a valid e-mail address" in page
    assert "Select a valid choice" in page  # another team's account is not on offer
    assert (Account.everything.count(), Contact.everything.count()) == before


def test_create_contact_and_edit(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    page = text(client.get(f"{CONTACTS}new/", {"account": org["mine"].pk}))
    assert f'<option value="{org["mine"].pk}" selected>' in page
    response = client.post(f"{CONTACTS}new/", {
        "first_name": "Li", "last_name": "Na", "email": "li.na@bjtech.example",
        "account": org["mine"].pk, "lifecycle_stage": "lead", "owner": org["rep"].pk})
    contact = Contact.objects.get(email="li.na@bjtech.example")
    assert response.status_code == 302
    assert response.url == f"{CONTACTS}{contact.pk}/"
    assert contact.owner == org["rep"]
    assert contact.account == org["mine"]
    response = client.post(f"{CONTACTS}{contact.pk}/edit/", {
        "first_name": "Li", "last_name": "Na", "email": "li.na@bjtech.example",
        "account": org["mine"].pk, "lifecycle_stage": "sql", "owner": org["rep"].pk},
        follow=True)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "sql"
    assert "Contact “Li Na” saved." in response.content.decode()
    response = client.post(f"{ACCOUNTS}{org['mine'].pk}/edit/", {
        "name": "北京科技", "tier": "platinum", "owner": org["rep"].pk})
    org["mine"].refresh_from_db()
    assert response.status_code == 302
    assert org["mine"].name == "北京科技"
    assert org["mine"].tier == "platinum"


def test_giving_a_record_away_goes_back_to_the_list(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    response = client.post(f"{ACCOUNTS}new/", {"name": "Handed over",
                                               "owner": org["rep2"].pk})
    assert response.status_code == 302
    assert response.url == ACCOUNTS


def test_delete_is_soft_and_confirmed(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    page = text(client.get(f"{CONTACTS}{org['zhang'].pk}/delete/"))
    assert "Delete “张伟”?" in page
    response = client.post(f"{CONTACTS}{org['zhang'].pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == CONTACTS
    assert "deleted." in response.content.decode()
    assert not Contact.objects.filter(pk=org["zhang"].pk).exists()
    assert Contact.everything.get(pk=org["zhang"].pk).deleted_at is not None
    assert client.get(f"{CONTACTS}{org['zhang'].pk}/").status_code == 404
    response = client.post(f"{ACCOUNTS}{org['mine'].pk}/delete/")
    assert response.status_code == 302
    assert response.url == ACCOUNTS
    assert Account.everything.get(pk=org["mine"].pk).deleted_at is not None


def test_another_teams_records_are_404(acme, org):
    client = signed_in(acme.host, acme.rep_email)
    for base, record in ((ACCOUNTS, org["other"]), (CONTACTS, org["theirs"])):
        assert client.get(f"{base}{record.pk}/").status_code == 404
        assert client.get(f"{base}{record.pk}/edit/").status_code == 404
        assert client.post(f"{base}{record.pk}/edit/", {"name": "Mine now",
                                                       "first_name": "X"}).status_code == 404
        assert client.get(f"{base}{record.pk}/delete/").status_code == 404
        assert client.post(f"{base}{record.pk}/delete/").status_code == 404
    assert Account.objects.get(pk=org["other"].pk).name == "Southern Steel"
    assert Contact.objects.filter(pk=org["theirs"].pk).exists()


def test_portal_customer_and_anonymous_are_refused(acme, org):
    customer = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    assert customer.get(ACCOUNTS).status_code == 403
    assert customer.get(f"{CONTACTS}{org['zhang'].pk}/").status_code == 403
    assert customer.post(f"{ACCOUNTS}new/", {"name": "Sneaky"}).status_code == 403
    assert not Account.objects.filter(name="Sneaky").exists()
    response = host_client(acme.host).get(ACCOUNTS)
    assert response.status_code == 302
    assert "/app/login/" in response.url


def test_navbar_links_to_customers(acme, in_acme):
    page = text(signed_in(acme.host, acme.rep_email).get("/app/"))
    assert f'href="{ACCOUNTS}"' in page
