"""Commission pages: the statement list and detail with the approval buttons, visibility
between reps, the plan pages with their formsets and clear errors, Chinese, tenant isolation."""

from decimal import Decimal

from crm_apps.commissions import services, statements
from crm_apps.commissions.models import CommissionPlan, CommissionStatement, PlanMembership
from crm_apps.forecast.models import Quota
from tests.fixtures.world import signed_in
from tests.integration.test_commissions import NOVEMBER, at, org, plan, won_order

__all__ = ["org"]  # the fixture, shared with the API tests
D = Decimal
LIST = "/app/commissions/"


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def test_a_rep_sees_their_own_statements_and_not_anothers(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    won_order(org, when=at("2026-11-02"), lines=[("Big deal", "1000", "consulting")])
    mine = statements.compute_statement(org["rep"], NOVEMBER)
    theirs = statements.compute_statement(org["rep2"], NOVEMBER)
    rep = signed_in(in_acme.host, "rep@acme.example")
    listed = page(rep, LIST)
    assert f"{LIST}{mine.pk}/" in listed
    assert f"{LIST}{theirs.pk}/" not in listed
    assert 'href="/app/commissions/"' in page(rep, "/app/contracts/")  # the sales tab
    detail = page(rep, f"{LIST}{mine.pk}/")
    assert "Big deal" in detail
    assert "100.00" in detail
    assert f"{LIST}{mine.pk}/submit/" in detail
    assert f"{LIST}{mine.pk}/approve/" not in detail
    page(rep, f"{LIST}{theirs.pk}/", status=404)
    assert rep.post(f"{LIST}{theirs.pk}/recompute/").status_code == 404
    assert rep.post(f"{LIST}{theirs.pk}/submit/").status_code == 404


def test_submit_approve_and_reject_through_the_pages(in_acme, org):
    plan(org, base="10")
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    statement = statements.compute_statement(org["rep"], NOVEMBER)
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert rep.post(f"{LIST}{statement.pk}/submit/").status_code == 303
    statement.refresh_from_db()
    assert statement.status == "submitted"
    assert f"{LIST}{statement.pk}/approve/" not in page(rep, f"{LIST}{statement.pk}/")
    assert rep.post(f"{LIST}{statement.pk}/approve/").status_code == 403
    boss = signed_in(in_acme.host, "boss@acme.example")
    detail = page(boss, f"{LIST}{statement.pk}/")
    assert f"{LIST}{statement.pk}/approve/" in detail
    assert f"{LIST}{statement.pk}/reject/" in detail
    no_comment = boss.post(f"{LIST}{statement.pk}/reject/", {"comment": ""}, follow=True)
    assert "Say why the statement is rejected." in no_comment.content.decode()
    statement.refresh_from_db()
    assert statement.status == "submitted"
    rejected = boss.post(f"{LIST}{statement.pk}/reject/", {"comment": "Wrong quota"})
    assert rejected.status_code == 303
    statement.refresh_from_db()
    assert (statement.status, statement.decision_comment) == ("rejected", "Wrong quota")
    assert "Wrong quota" in page(rep, f"{LIST}{statement.pk}/")
    assert rep.post(f"{LIST}{statement.pk}/recompute/").status_code == 303
    services.submit(statement, acting_user=org["rep"])
    assert boss.post(f"{LIST}{statement.pk}/approve/").status_code == 303
    statement.refresh_from_db()
    assert statement.status == "approved"
    frozen = boss.post(f"{LIST}{statement.pk}/recompute/", follow=True).content.decode()
    assert "A submitted or approved statement is not recomputed." in frozen
    assert f"{LIST}{statement.pk}/recompute/" not in frozen


def test_the_list_filters_and_bad_filters(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    statements.compute_statement(org["rep"], NOVEMBER)
    october = statements.compute_statement(org["rep2"], NOVEMBER.shifted(-1))
    admin = signed_in(in_acme.host, "admin@acme.example")
    filtered = page(admin, f"{LIST}?period=2026-10")
    assert f"{LIST}{october.pk}/" in filtered
    assert filtered.count('class="fw-semibold" href="/app/commissions/') == 1
    bad = admin.get(LIST, {"period": "November"})
    assert bad.status_code == 400
    assert "2026-Q4" in bad.content.decode()
    assert admin.get(LIST, {"status": "paid"}).status_code == 400


def test_managers_compute_the_period_from_the_list(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    boss = signed_in(in_acme.host, "boss@acme.example")
    assert f"{LIST}generate/" in page(boss, LIST)
    assert boss.post(f"{LIST}generate/").status_code == 303
    assert CommissionStatement.objects.count() == 2
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert f"{LIST}generate/" not in page(rep, LIST)
    assert rep.post(f"{LIST}generate/").status_code == 403


def formset(prefix, rows, total=None):
    data = {f"{prefix}-TOTAL_FORMS": str(total or len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def plan_post(org, **changes):
    data = {"name": "Field sales", "name_zh_hans": "外勤销售", "currency": "cny",
            "period_kind": "month", "base_rate": "3", "is_active": "on",
            **formset("tiers", [{"from_attainment": "0", "rate": "2"},
                                {"from_attainment": "100", "rate": "8"}]),
            **formset("rates", [{"category": org["hardware"].pk, "multiplier": "0.5"}]),
            **formset("members", [{"rep": org["rep"].pk, "starts_on": "2026-01-01"}])}
    data.update(changes)
    return data


def test_an_admin_creates_and_edits_a_plan_with_its_formsets(in_acme, org):
    admin = signed_in(in_acme.host, "admin@acme.example")
    form = page(admin, f"{LIST}plans/new/")
    assert "tiers-TOTAL_FORMS" in form
    assert "members-TOTAL_FORMS" in form
    created = admin.post(f"{LIST}plans/new/", plan_post(org))
    assert created.status_code == 303, created.content.decode()[:3000]
    made = CommissionPlan.objects.get(name="Field sales")
    assert made.currency == "CNY"
    assert [(tier.from_attainment, tier.rate) for tier in made.tiers.all()] == [
        (D("0"), D("2")), (D("100"), D("8"))]
    assert made.category_rates.get().multiplier == D("0.5")
    assert made.memberships.get().rep == org["rep"]
    assert "Field sales" in page(admin, f"{LIST}plans/")
    edit = page(admin, f"{LIST}plans/{made.pk}/")
    assert 'value="Field sales"' in edit
    tiers = made.tiers.all()
    changed = plan_post(org, **{"tiers-INITIAL_FORMS": "2", "rates-TOTAL_FORMS": "0",
                                "members-TOTAL_FORMS": "0", "base_rate": "4",
                                "tiers-0-id": tiers[0].pk, "tiers-1-id": tiers[1].pk,
                                "tiers-1-DELETE": "on"})
    assert admin.post(f"{LIST}plans/{made.pk}/", changed).status_code == 303
    made.refresh_from_db()
    assert made.base_rate == D("4")
    assert [tier.from_attainment for tier in made.tiers.all()] == [D("0")]
    assert admin.post(f"{LIST}plans/{made.pk}/delete/").status_code == 303
    assert not CommissionPlan.objects.exists()


def test_bad_plan_forms_answer_400_with_messages(in_acme, org):
    admin = signed_in(in_acme.host, "admin@acme.example")
    cases = [
        {"base_rate": "150"},
        {"currency": "yuan"},
        {"name": ""},
        {"tiers-1-from_attainment": "0"},  # two tiers at 0 %
        {"rates-0-rate": "5"},  # both a rate and a multiplier
        {"members-0-ends_on": "2025-01-01"},  # ends before it starts
        {"members-0-starts_on": "someday"},
    ]
    for change in cases:
        response = admin.post(f"{LIST}plans/new/", plan_post(org, **change))
        assert response.status_code == 400, change
        assert "is-invalid" in response.content.decode() or "alert-danger" in \
            response.content.decode(), change
    assert not CommissionPlan.objects.exists()
    plan(org, name="Existing")
    overlapping = admin.post(f"{LIST}plans/new/", plan_post(org))
    assert overlapping.status_code == 400
    assert "already on another plan" in overlapping.content.decode()
    assert PlanMembership.objects.count() == 1


def test_plan_pages_are_for_tenant_admins(in_acme, org):
    made = plan(org)
    for email in ("rep@acme.example", "boss@acme.example"):
        client = signed_in(in_acme.host, email)
        assert client.get(f"{LIST}plans/").status_code == 403
        assert client.get(f"{LIST}plans/{made.pk}/").status_code == 403
        assert client.post(f"{LIST}plans/{made.pk}/delete/").status_code == 403
    assert signed_in(in_acme.host, "admin@acme.example").get(
        f"{LIST}plans/999999/").status_code == 404


def test_the_pages_read_in_chinese(in_acme, org):
    plan(org, base="10", name_zh_hans="标准方案")
    Quota.objects.create(user=org["rep"], period_start=NOVEMBER.start, amount=D("1000"))
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "500", None)])
    statement = statements.compute_statement(org["rep"], NOVEMBER)
    admin = signed_in(in_acme.host, "admin@acme.example")
    admin.cookies["django_language"] = "zh-hans"
    for path in (LIST, f"{LIST}{statement.pk}/", f"{LIST}plans/", f"{LIST}plans/new/"):
        text = page(admin, path)
        assert '<html lang="zh-hans">' in text, path
        assert "合同" in text, path  # the sales tabs, in Chinese
    assert "标准方案" in page(admin, f"{LIST}plans/")
    detail = page(admin, f"{LIST}{statement.pk}/")
    assert "标准方案" in detail
    assert "50.0%" in detail  # attainment
    english = signed_in(in_acme.host, "admin@acme.example")
    assert "Standard" in page(english, f"{LIST}{statement.pk}/")


def test_globex_cannot_open_acme_statements(in_acme, org, globex):
    plan(org, base="10")
    statement = statements.compute_statement(org["rep"], NOVEMBER)
    made = CommissionPlan.objects.get()
    client = signed_in(globex.host, "admin@globex.example")
    assert f"/app/commissions/{statement.pk}/" not in page(client, LIST)
    page(client, f"{LIST}{statement.pk}/", status=404)
    assert client.post(f"{LIST}{statement.pk}/approve/").status_code == 404
    page(client, f"{LIST}plans/{made.pk}/", status=404)
