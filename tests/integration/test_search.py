"""Search over contacts and accounts: Chinese and western names, phone digits, e-mail, domain;
role visibility, hidden fields and tenant isolation; and the indexes that serve it."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.filters import AccountFilter, ContactFilter
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customization.models import FieldRestriction
from tests.fixtures.world import PASSWORD, signed_in

CONTACTS_API = "/api/v1/contacts/"
ACCOUNTS_API = "/api/v1/accounts/"
CONTACTS_PAGE = "/app/customers/contacts/"


@pytest.fixture
def people(in_acme):
    """rep (team North) owns 张伟 and Ada Lovelace; rep2 (team South) owns 张芳."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-search", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    beijing = Account.objects.create(name="北京科技有限公司", website="https://www.bjtech.example",
                                     phone="+86 10 6543-2100", owner=rep, team=north)
    engines = Account.objects.create(name="Analytical Engines", owner=rep, team=north)
    return {
        "rep": rep, "rep2": rep2, "beijing": beijing,
        "zhang_wei": Contact.objects.create(
            first_name="伟", last_name="张", account=beijing, owner=rep, team=north,
            email="zhang.wei@bjtech.example", phone="+86 138-0013-8000"),
        "ada": Contact.objects.create(
            first_name="Ada", last_name="Lovelace", account=engines, owner=rep, team=north,
            email="ada.lovelace@engines.example", mobile="(020) 7946 0018"),
        "zhang_fang": Contact.objects.create(
            first_name="芳", last_name="张", owner=rep2, team=south,
            email="zhang.fang@south.example", phone="+86 139 0000 1111"),
    }


def emails(client, query, path=CONTACTS_API):
    response = client.get(path, {"q": query})
    assert response.status_code == 200, response.content[:300]
    return sorted(row["email"] for row in response.json()["results"])


@pytest.fixture
def admin(in_acme, people):
    return signed_in(in_acme.host, in_acme.admin_email)


@pytest.fixture
def rep(in_acme, people):
    return signed_in(in_acme.host, in_acme.rep_email)


def test_a_chinese_full_name_family_name_first(admin):
    assert emails(admin, "张伟") == ["zhang.wei@bjtech.example"]
    assert emails(admin, "张 伟") == ["zhang.wei@bjtech.example"]


def test_a_single_character_matches_family_or_given_name(admin):
    assert emails(admin, "张") == ["zhang.fang@south.example", "zhang.wei@bjtech.example"]
    assert emails(admin, "芳") == ["zhang.fang@south.example"]
    assert emails(admin, "ad") == ["ada.lovelace@engines.example"]


def test_a_western_name_in_either_order_and_any_case(admin):
    for query in ("Ada Lovelace", "lovelace ada", "LOVELACE", "da Love"):
        assert emails(admin, query) == ["ada.lovelace@engines.example"], query


@pytest.mark.parametrize("query", ["13800138000", "138 0013 8000", "+86-138-0013-8000",
                                   "0013-80"])
def test_a_phone_number_matches_on_digits_whatever_the_punctuation(admin, query):
    assert emails(admin, query) == ["zhang.wei@bjtech.example"]


def test_the_mobile_number_is_searched_too(admin):
    assert emails(admin, "020 79460018") == ["ada.lovelace@engines.example"]


def test_an_email_fragment(admin):
    assert emails(admin, "lovelace@eng") == ["ada.lovelace@engines.example"]
    assert emails(admin, "@bjtech.") == ["zhang.wei@bjtech.example"]


def test_contacts_are_found_by_their_accounts_name(admin):
    assert emails(admin, "北京科技") == ["zhang.wei@bjtech.example"]
    assert emails(admin, "科技") == ["zhang.wei@bjtech.example"]


def test_accounts_by_name_domain_and_phone(admin):
    def accounts(query):
        return sorted(row["name"] for row in admin.get(ACCOUNTS_API, {"q": query}).json()[
            "results"])

    assert accounts("bjtech") == ["北京科技有限公司"]
    assert accounts("bjtech.example") == ["北京科技有限公司"]
    assert accounts("010 65432100") == []  # digits of another number
    assert accounts("6543 2100") == ["北京科技有限公司"]
    assert accounts("科技") == ["北京科技有限公司"]  # anywhere in the name, however short
    assert accounts("北京") == ["北京科技有限公司"]
    assert accounts("京") == ["北京科技有限公司"]
    assert accounts("Engines") == ["Analytical Engines"]


def test_like_wildcards_in_a_query_are_plain_characters(admin):
    assert emails(admin, "%%%") == []
    assert emails(admin, "___") == []
    assert emails(admin, "_") == []


def test_a_rep_finds_nothing_of_another_team_in_the_api_or_the_page(rep):
    assert emails(rep, "张") == ["zhang.wei@bjtech.example"]
    assert emails(rep, "张芳") == []
    assert emails(rep, "139 0000 1111") == []
    page = rep.get(CONTACTS_PAGE, {"q": "张"})
    assert page.status_code == 200
    assert page.context["paginator"].count == 1
    body = page.content.decode()
    assert "zhang.wei@bjtech.example" in body
    assert "zhang.fang@south.example" not in body
    assert "1 contact" in body
    assert "2 contacts" not in body
    page = rep.get(CONTACTS_PAGE, {"q": "张芳"})
    assert page.context["paginator"].count == 0
    assert "zhang.fang@south.example" not in page.content.decode()


def test_a_hidden_phone_is_not_searchable_for_the_roles_it_is_hidden_from(admin, rep):
    FieldRestriction.objects.create(entity="customers.contact", field="phone",
                                    hidden_from=[SALES_REP])
    assert emails(rep, "138 0013 8000") == []
    assert emails(rep, "张伟") == ["zhang.wei@bjtech.example"]  # other fields still count
    page = rep.get(CONTACTS_PAGE, {"q": "13800138000"})
    assert page.context["paginator"].count == 0
    assert emails(admin, "138 0013 8000") == ["zhang.wei@bjtech.example"]


def test_a_hidden_account_phone_is_not_searchable_either(admin, rep):
    FieldRestriction.objects.create(entity="customers.account", field="phone",
                                    hidden_from=[SALES_REP])
    assert emails(rep, "6543 2100", ACCOUNTS_API) == []
    assert admin.get(ACCOUNTS_API, {"q": "6543 2100"}).json()["results"]


def test_hidden_names_and_emails_are_not_searchable(rep, people):
    FieldRestriction.objects.create(entity="customers.contact", field="email",
                                    hidden_from=[SALES_REP])
    FieldRestriction.objects.create(entity="customers.contact", field="first_name",
                                    hidden_from=[SALES_REP])

    def ids(query):  # the e-mail address is not in the rep's rows any more
        return [row["id"] for row in rep.get(CONTACTS_API, {"q": query}).json()["results"]]

    assert ids("lovelace@eng") == []
    assert ids("Ada Lovelace") == []  # the whole name needs the hidden first name
    assert ids("Lovelace") == [people["ada"].pk]


def test_search_never_crosses_tenants(people, globex):
    with tenant_context(globex.tenant):
        Contact.objects.create(first_name="伟", last_name="张", email="zhang.wei@globex.example",
                               phone="+86 138-0013-8000")
    connection.set_schema_to_public()
    client = signed_in(globex.host, globex.admin_email)
    for query in ("张伟", "张", "13800138000", "bjtech", "Lovelace"):
        found = emails(client, query)
        assert all(email.endswith("@globex.example") for email in found), (query, found)
    assert emails(client, "张伟") == ["zhang.wei@globex.example"]
    assert client.get(CONTACTS_PAGE, {"q": "Lovelace"}).context["paginator"].count == 0


def explained(filterset, query: str) -> str:
    model = filterset._meta.model
    queryset = filterset({"q": query}, queryset=model.objects.all()).qs
    with connection.cursor() as cursor:
        # A handful of rows, where any plan will do: leave the planner only bitmap scans of
        # indexes that match the search's conditions (the sorting indexes, partial on live
        # rows, would match "deleted_at IS NULL"; dropped inside the test's transaction).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute("DROP INDEX contact_live_created, contact_live_last_name, "
                       "account_live_created, account_live_name")
    return queryset.explain()


def has_trigram() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


@pytest.mark.parametrize(("filterset", "query", "indexes"), [
    (ContactFilter, "张伟明", ["contact_names_trgm", "contact_email_trgm"]),
    (ContactFilter, "13800138000", ["contact_names_trgm", "contact_phone_digits_trgm",
                                    "contact_mobile_digits_trgm"]),
    (AccountFilter, "bjtech", ["account_name_trgm", "account_domain_trgm"]),
    (AccountFilter, "6543 2100", ["account_phone_digits_trgm"]),
])
def test_long_queries_use_the_trigram_indexes(people, filterset, query, indexes):
    if not has_trigram():
        pytest.skip("PostgreSQL without pg_trgm searches the same way, without the index")
    plan = explained(filterset, query)
    for index in indexes:
        assert index in plan, plan


def test_short_queries_use_the_name_prefix_indexes(people):
    plan = explained(ContactFilter, "北")
    for index in ("contact_eastern_name_prefix", "contact_western_name_prefix"):
        assert index in plan, plan
