"""The quota pages: the list with attainment, create, edit and delete for tenant admins and
managers with the API's validation shown as form errors, reps reading only their own and
their teams' quotas, bad query strings, isolation between tenants, and the Chinese page."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.customers.models import Team
from crm_apps.forecast.models import Quota
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import signed_in

LIST = "/app/sales/quotas/"
NEW = "/app/sales/quotas/new/"


@pytest.fixture
def people(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    other = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(other)
    return {"rep": rep, "other": other, "manager": manager, "north": north, "south": south}


def form(**values):
    data = {"user": "", "team": "", "period_kind": "month", "period_start": "2026-11-01",
            "amount": "1000", "currency": "CNY"}
    data.update(values)
    return data


def test_a_manager_adds_edits_and_deletes_quotas_and_sees_attainment(people):
    pipeline = Pipeline.objects.create(name="Quota test")
    won = Stage.objects.create(pipeline=pipeline, name="Won", probability=100,
                               outcome=Stage.Outcome.WON)
    Opportunity.objects.create(
        name="Deal", owner=people["rep"], pipeline=pipeline, stage=won, amount=Decimal(250),
        closed_at=timezone.make_aware(datetime.datetime(2026, 11, 5, 12)))
    manager = signed_in("acme.localhost", "boss@acme.example")
    page = manager.get(NEW)
    assert page.status_code == 200
    made = manager.post(NEW, form(user=people["rep"].pk, currency="cny"))
    assert made.status_code == 302, made.content[:2000]
    assert made.url == f"{LIST}?period=2026-11"
    quota = Quota.objects.get()
    assert (quota.user, quota.amount, quota.currency) == (people["rep"], Decimal(1000), "CNY")
    listing = manager.get(made.url).content.decode()
    assert "2026-11" in listing
    assert "25%" in listing  # 250 closed won of 1000
    edited = manager.post(f"/app/sales/quotas/{quota.pk}/edit/",
                          form(user=people["rep"].pk, amount="500"))
    assert edited.status_code == 302
    quota.refresh_from_db()
    assert quota.amount == Decimal(500)
    assert "50%" in manager.get(LIST).content.decode()
    team_quota = manager.post(NEW, form(team=people["south"].pk, period_kind="quarter",
                                        period_start="2026-10-01"))
    assert team_quota.url == f"{LIST}?period=2026-Q4"
    assert manager.post(f"/app/sales/quotas/{quota.pk}/delete/").status_code == 302
    assert list(Quota.objects.values_list("team", flat=True)) == [people["south"].pk]


@pytest.mark.parametrize(("values", "message"), [
    ({}, "Give either a sales rep or a team, not both."),
    ({"user": "REP", "team": "NORTH"}, "Give either a sales rep or a team, not both."),
    ({"user": "REP", "period_start": "2026-11-15"}, "Give the first day of a month."),
    ({"user": "REP", "period_kind": "quarter", "period_start": "2026-11-01"},
     "Give the first day of a quarter"),
    ({"user": "REP", "period_start": "2026-10-01"}, "There is already a quota for this period."),
    ({"user": "REP", "amount": "-5"}, "Ensure this value is greater than or equal to 0."),
    ({"user": "REP", "amount": "lots"}, "Enter a number."),
    ({"user": "REP", "currency": "C1"}, "Give an ISO 4217 code, such as CNY."),
    ({"user": "REP", "period_start": "someday"}, "Enter a valid date."),
    ({"user": "999999"}, "Select a valid choice."),
    ({"amount": ""}, "This field is required."),
])
def test_bad_quotas_are_form_errors(people, values, message):
    Quota.objects.create(user=people["rep"], period_start=datetime.date(2026, 10, 1),
                         amount=1)
    names = {"REP": people["rep"].pk, "NORTH": people["north"].pk}
    values = {key: names.get(value, value) for key, value in values.items()}
    admin = signed_in("acme.localhost", "admin@acme.example")
    response = admin.post(NEW, form(**values))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "quota_user_xor_team" not in response.content.decode()  # words, not names
    assert Quota.objects.count() == 1


def test_reps_read_their_own_and_their_teams_quotas_only(people):
    mine = Quota.objects.create(user=people["rep"], period_start=datetime.date(2026, 11, 1),
                                amount=Decimal("111.00"))
    Quota.objects.create(team=people["north"], period_start=datetime.date(2026, 11, 1),
                         amount=Decimal("222.00"))
    Quota.objects.create(user=people["other"], period_start=datetime.date(2026, 11, 1),
                         amount=Decimal("333.00"))
    Quota.objects.create(team=people["south"], period_start=datetime.date(2026, 11, 1),
                         amount=Decimal("444.00"))
    rep = signed_in("acme.localhost", "rep@acme.example")
    page = rep.get(LIST).content.decode()
    assert "111.00" in page
    assert "222.00" in page
    assert "333.00" not in page
    assert "444.00" not in page
    assert NEW not in page
    assert "/edit/" not in page
    assert rep.get(NEW).status_code == 403
    assert rep.post(NEW, form(user=people["rep"].pk, period_start="2026-12-01")).status_code \
        == 403
    assert rep.post(f"/app/sales/quotas/{mine.pk}/edit/",
                    form(user=people["rep"].pk, amount="1")).status_code == 403
    assert rep.post(f"/app/sales/quotas/{mine.pk}/delete/").status_code == 403
    mine.refresh_from_db()
    assert mine.amount == Decimal("111.00")
    assert Quota.objects.count() == 4
    admin = signed_in("acme.localhost", "admin@acme.example")
    assert all(amount in admin.get(LIST).content.decode()
               for amount in ("111.00", "222.00", "333.00", "444.00"))


def test_the_list_filters_and_refuses_bad_query_strings(people):
    Quota.objects.create(user=people["rep"], period_start=datetime.date(2026, 11, 1),
                         amount=Decimal("111.00"))
    Quota.objects.create(team=people["south"], period_kind="quarter",
                         period_start=datetime.date(2026, 10, 1), amount=Decimal("444.00"))
    admin = signed_in("acme.localhost", "admin@acme.example")
    quarter = admin.get(LIST, {"period": "2026-Q4"}).content.decode()
    assert "444.00" in quarter
    assert "111.00" not in quarter
    by_team = admin.get(LIST, {"team": people["south"].pk}).content.decode()
    assert "444.00" in by_team
    assert "111.00" not in by_team
    by_kind = admin.get(LIST, {"period_kind": "month"}).content.decode()
    assert "111.00" in by_kind
    assert "444.00" not in by_kind
    for bad in ({"period": "2026-13"}, {"period": "soon"}, {"user": "abc"},
                {"period_kind": "year"}, {"page": "999"}):
        assert admin.get(LIST, bad).status_code in (400, 404), bad
    assert admin.get(LIST, {"period": "2026-13"}).status_code == 400


def test_globex_cannot_see_or_change_acme_quotas(in_acme, people, globex):
    quota = Quota.objects.create(user=people["rep"], period_start=datetime.date(2026, 11, 1),
                                 amount=Decimal("777.00"))
    client = signed_in(globex.host, globex.admin_email)
    assert "777.00" not in client.get(LIST).content.decode()
    assert client.post(f"/app/sales/quotas/{quota.pk}/edit/",
                       form(amount="1")).status_code == 404
    assert client.post(f"/app/sales/quotas/{quota.pk}/delete/").status_code == 404
    with tenant_context(in_acme.tenant):
        assert Quota.objects.get(pk=quota.pk).amount == Decimal("777.00")


def test_the_pages_render_in_chinese_with_a_quotas_tab(people):
    Quota.objects.create(user=people["rep"], period_start=datetime.date(2026, 11, 1),
                         amount=Decimal("111.00"))
    admin = signed_in("acme.localhost", "admin@acme.example")
    # The sign-in applied the admin's saved English; they pick Chinese in the header.
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = admin.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="zh-hans"' in html
    assert "完成率" in html
    assert "筛选" in html
    assert 'href="/app/sales/quotas/"' in html
    form_page = admin.get(NEW, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert form_page.status_code == 200
    error = admin.post(NEW, form(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请提供销售代表或团队之一" in error.content.decode()
    # The tab is on the other sales pages too.
    assert 'href="/app/sales/quotas/"' in admin.get("/app/sales/leads/").content.decode()
