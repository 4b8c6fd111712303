"""Commissions: statements from won orders (flat rate, marginal tiers by attainment, category
rates), what is credited to whom and when, the approval flow with its notifications and audit,
frozen approved statements, the monthly task, the API with its validation, visibility between
reps and tenant isolation."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from crm_apps.commissions import services, statements, tasks
from crm_apps.commissions.models import (
    CommissionPlan,
    CommissionStatement,
    CommissionTier,
    PlanCategoryRate,
    PlanMembership,
)
from crm_apps.customers.models import Account, Team
from crm_apps.forecast.models import Quota
from crm_apps.forecast.periods import parse
from crm_apps.quotes.models import Quote
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from realtime.models import Notification
from tests.fixtures.world import admin_token, host_client, post, signed_in

D = Decimal
UTC = datetime.UTC
NOVEMBER = parse("2026-11")
STATEMENTS = "/api/v1/commission-statements/"
PLANS = "/api/v1/commission-plans/"


def at(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def org(in_acme):
    """rep (team North, led by the manager "boss"), rep2 (team South, led by the sales rep
    "lead"), products in Services > Training and Hardware, and a won-stage pipeline."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    lead = create_user(email="lead@acme.example", password="test-pass-123", role=SALES_REP)
    boss = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=boss)
    north.members.add(rep)
    south = Team.objects.create(name="South", lead=lead)
    south.members.add(rep2)
    Category = get_model("catalogue", "Category")
    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    services_cat = Category.add_root(name="Services", slug="c-services")
    training = services_cat.add_child(name="Training", slug="c-training")
    hardware = Category.add_root(name="Hardware", slug="c-hardware")
    product_class = ProductClass.objects.get(slug="standard")

    def product(title, category):
        made = Product.objects.create(title=title, product_class=product_class,
                                      structure="standalone")
        made.categories.add(category)
        return made

    pipeline = Pipeline.objects.create(name="Commission test")
    won = Stage.objects.create(pipeline=pipeline, name="Won", probability=100,
                               outcome=Stage.Outcome.WON)
    return {"rep": rep, "rep2": rep2, "lead": lead, "boss": boss, "north": north,
            "south": south, "account": Account.objects.create(name="Buyer", owner=rep),
            "services": services_cat, "training": training, "hardware": hardware,
            "consulting": product("Consulting", services_cat),
            "course": product("Course", training), "headset": product("Headset", hardware),
            "pipeline": pipeline, "won": won}


_numbers = iter(range(1, 10**6))


def won_order(org, *, owner="rep", when, lines, currency="CNY", status="",
              quote_owner=None, with_opportunity=True):
    """An Oscar order with ``lines`` [(title, amount, product key or None[, line status])]
    that came from an accepted quote on an opportunity owned by ``owner``."""
    Order = get_model("order", "Order")
    Line = get_model("order", "Line")
    total = sum((D(line[1]) for line in lines), D(0))
    order = Order.objects.create(number=f"T-{next(_numbers):06d}", currency=currency,
                                 total_incl_tax=total, total_excl_tax=total,
                                 date_placed=when, status=status)
    for title, amount, product, *line_status in lines:
        Line.objects.create(
            order=order, partner_name="", partner_sku="", title=title,
            product=org[product] if product else None, quantity=1,
            line_price_excl_tax=D(amount), line_price_incl_tax=D(amount),
            line_price_before_discounts_excl_tax=D(amount),
            line_price_before_discounts_incl_tax=D(amount), unit_price_excl_tax=D(amount),
            unit_price_incl_tax=D(amount), num_allocated=1,
            status=line_status[0] if line_status else "")
    opportunity = None
    if with_opportunity:
        opportunity = Opportunity.objects.create(
            name=f"Deal {order.number}", owner=org[owner] if owner else None,
            pipeline=org["pipeline"], stage=org["won"], amount=total)
    Quote.objects.create(title=f"Quote {order.number}", account=org["account"],
                         opportunity=opportunity, owner=org[quote_owner or owner or "rep"],
                         status=Quote.Status.ACCEPTED, order=order)
    return order


def plan(org, *, base="5", tiers=(), members=("rep",), kind="month", **fields):
    made = CommissionPlan.objects.create(name=fields.pop("name", "Standard"),
                                         base_rate=D(base), period_kind=kind, **fields)
    for start, rate in tiers:
        CommissionTier.objects.create(plan=made, from_attainment=D(start), rate=D(rate))
    for member in members:
        PlanMembership.objects.create(plan=made, rep=org[member],
                                      starts_on=datetime.date(2026, 1, 1))
    return made


def statement_for(org, rep="rep", period=NOVEMBER):
    return statements.compute_statement(org[rep], period)


def test_a_flat_rate_pays_the_base_rate_on_every_line(in_acme, org):
    plan(org, base="5")
    won_order(org, when=at("2026-11-03"), lines=[("Setup", "1000.00", "consulting")])
    won_order(org, when=at("2026-11-20"), lines=[("Licences", "2345.67", None)])
    result = statement_for(org)
    assert (result.revenue, result.commission) == (D("3345.67"), D("167.28"))  # 50 + 117.28
    assert result.status == "draft"
    assert result.quota is None
    assert result.attainment is None
    lines = list(result.lines.all())
    assert [(line.description, line.amount, line.rate, line.commission, line.basis)
            for line in lines] == [
        ("Setup", D("1000.00"), D("5.0000"), D("50.00"), "base"),
        ("Licences", D("2345.67"), D("5.0000"), D("117.28"), "base")]
    assert lines[0].category == "Services"
    assert lines[1].category == ""
    assert (result.period_start, result.period_end) == (datetime.date(2026, 11, 1),
                                                        datetime.date(2026, 11, 30))


def test_tiers_apply_marginally_by_attainment(in_acme, org):
    """Quota 100,000, credited 150,000 in three orders; tiers 0 % → 2 %, 50 % → 5 %,
    100 % → 8 %: 50,000 × 2 % + 50,000 × 5 % + 50,000 × 8 % = 7,500."""
    plan(org, base="1", tiers=[("0", "2"), ("50", "5"), ("100", "8")])
    Quota.objects.create(user=org["rep"], period_start=NOVEMBER.start, amount=D("100000"))
    won_order(org, when=at("2026-11-02"), lines=[("A", "30000", None)])
    won_order(org, when=at("2026-11-10"), lines=[("B", "40000", None)])
    won_order(org, when=at("2026-11-25"), lines=[("C", "80000", None)])
    result = statement_for(org)
    assert result.revenue == D("150000.00")
    assert result.quota == D("100000.00")
    assert result.attainment == D("1.5000")
    assert result.commission == D("7500.00")
    # A: 30,000 × 2 %; B: 20,000 × 2 % + 20,000 × 5 %; C: 30,000 × 5 % + 50,000 × 8 %.
    assert [(line.commission, line.rate, line.basis) for line in result.lines.all()] == [
        (D("600.00"), D("2.0000"), "tier"), (D("1400.00"), D("3.5000"), "tier"),
        (D("5500.00"), D("6.8750"), "tier")]


def test_below_the_first_tier_and_without_a_quota_the_base_rate_applies(in_acme, org):
    plan(org, base="1", tiers=[("100", "8")])
    won_order(org, when=at("2026-11-02"), lines=[("A", "150000", None)])
    assert statement_for(org).commission == D("1500.00")  # no quota: 1 % on all of it
    Quota.objects.create(user=org["rep"], period_start=NOVEMBER.start, amount=D("100000"))
    # 100,000 × 1 % + 50,000 × 8 %
    assert statement_for(org).commission == D("5000.00")


def test_a_quarterly_plan_sums_the_monthly_quotas(in_acme, org):
    plan(org, base="0", tiers=[("0", "2"), ("100", "8")], kind="quarter")
    for month, amount in ((10, "30000"), (11, "30000"), (12, "40000")):
        Quota.objects.create(user=org["rep"], period_start=datetime.date(2026, month, 1),
                             amount=D(amount))
    won_order(org, when=at("2026-10-05"), lines=[("A", "70000", None)])
    won_order(org, when=at("2026-12-20"), lines=[("B", "50000", None)])
    result = statements.compute_statement(org["rep"], parse("2026-Q4"))
    assert (result.quota, result.revenue) == (D("100000.00"), D("120000.00"))
    assert result.commission == D("3600.00")  # 100,000 × 2 % + 20,000 × 8 %
    assert result.period_code == "2026-Q4"


def test_category_rates_override_the_tier_or_base_rate(in_acme, org):
    rated = plan(org, base="5")
    PlanCategoryRate.objects.create(plan=rated, category=org["services"], rate=D("10"))
    PlanCategoryRate.objects.create(plan=rated, category=org["training"], rate=D("1"))
    PlanCategoryRate.objects.create(plan=rated, category=org["hardware"],
                                    multiplier=D("0.5"))
    won_order(org, when=at("2026-11-05"), lines=[
        ("Consulting", "1000", "consulting"), ("Course", "2000", "course"),
        ("Headset", "1000", "headset"), ("Free line", "500", None)])
    result = statement_for(org)
    assert [(line.description, line.category, line.commission, line.basis)
            for line in result.lines.all()] == [
        ("Consulting", "Services", D("100.00"), "category_rate"),
        ("Course", "Training", D("20.00"), "category_rate"),  # the more specific category
        ("Headset", "Hardware", D("25.00"), "category_multiplier"),  # 5 % × 0.5
        ("Free line", "", D("25.00"), "base")]
    assert result.commission == D("170.00")
    assert result.revenue == D("4500.00")


def test_category_revenue_counts_towards_attainment(in_acme, org):
    rated = plan(org, base="0", tiers=[("0", "2"), ("100", "8")])
    PlanCategoryRate.objects.create(plan=rated, category=org["services"], rate=D("10"))
    Quota.objects.create(user=org["rep"], period_start=NOVEMBER.start, amount=D("1000"))
    won_order(org, when=at("2026-11-01"), lines=[("Consulting", "1000", "consulting")])
    won_order(org, when=at("2026-11-02"), lines=[("Free", "1000", None)])
    result = statement_for(org)
    assert [line.commission for line in result.lines.all()] == [D("100.00"), D("80.00")]
    assert result.attainment == D("2.0000")


def test_other_periods_cancelled_refunded_foreign_and_loose_orders_are_ignored(in_acme, org):
    plan(org, base="10")
    won_order(org, when=at("2026-11-15"), lines=[("Counted", "100", None),
                                                 ("Refunded line", "999", None, "Refunded")])
    won_order(org, when=at("2026-10-31", 23), lines=[("October", "1000", None)])
    won_order(org, when=at("2026-12-01", 0), lines=[("December", "1000", None)])
    won_order(org, when=at("2026-11-15"), status="Cancelled", lines=[("Gone", "1000", None)])
    won_order(org, when=at("2026-11-15"), status="refunded", lines=[("Back", "1000", None)])
    won_order(org, when=at("2026-11-15"), currency="USD", lines=[("Dollars", "1000", None)])
    get_model("order", "Order").objects.create(  # a shop order, not from a quote
        number="SHOP-1", currency="CNY", total_incl_tax=D(1000), total_excl_tax=D(1000),
        date_placed=at("2026-11-15"))
    result = statement_for(org)
    assert [line.description for line in result.lines.all()] == ["Counted"]
    assert (result.revenue, result.commission) == (D("100.00"), D("10.00"))


def test_the_period_follows_the_tenant_time_zone(in_acme, org):
    in_acme.tenant.time_zone = "Asia/Shanghai"
    in_acme.tenant.save()
    plan(org, base="10")
    won_order(org, when=at("2026-10-31", 17), lines=[("1 Nov in Shanghai", "100", None)])
    won_order(org, when=at("2026-11-30", 16), lines=[("1 Dec in Shanghai", "100", None)])
    result = statement_for(org)
    lines = list(result.lines.all())
    assert [(line.description, line.order_date) for line in lines] == [
        ("1 Nov in Shanghai", datetime.date(2026, 11, 1))]


def test_credit_goes_to_the_opportunity_owner_else_the_quote_owner(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    won_order(org, owner="rep", quote_owner="rep2", when=at("2026-11-02"),
              lines=[("Rep's deal, rep2's quote", "100", None)])
    won_order(org, owner="rep2", with_opportunity=False, when=at("2026-11-03"),
              lines=[("Rep2's quote without a deal", "200", None)])
    won_order(org, owner=None, quote_owner="rep2", when=at("2026-11-04"),
              lines=[("Unowned deal, rep2's quote", "300", None)])
    assert [line.description for line in statement_for(org).lines.all()] == [
        "Rep's deal, rep2's quote"]
    assert [line.description for line in statement_for(org, "rep2").lines.all()] == [
        "Rep2's quote without a deal", "Unowned deal, rep2's quote"]


def test_recomputing_a_draft_replaces_its_lines(in_acme, org):
    plan(org, base="10")
    won_order(org, when=at("2026-11-02"), lines=[("First", "100", None)])
    first = statement_for(org)
    won_order(org, when=at("2026-11-03"), lines=[("Second", "50", None)])
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, f"{STATEMENTS}{first.pk}/recompute/", {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [line["description"] for line in body["lines"]] == ["First", "Second"]
    assert (body["revenue"], body["commission"]) == ("150.00", "15.00")
    assert CommissionStatement.objects.count() == 1
    assert first.lines.count() == 2


def submitted(org, rep="rep"):
    statement = statement_for(org, rep)
    return services.submit(statement, acting_user=org[rep])


def test_the_approval_flow_notifies_the_rep_and_is_audited(in_acme, org):
    from core.models import AuditEntry

    plan(org, base="10")
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    statement = statement_for(org)
    rep = signed_in(in_acme.host, "rep@acme.example")
    path = f"{STATEMENTS}{statement.pk}/"
    boss = signed_in(in_acme.host, "boss@acme.example")
    assert post(boss, f"{path}approve/", {}).status_code == 409  # a draft: not yet
    sent = post(rep, f"{path}submit/", {})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "submitted"
    waiting = Notification.objects.filter(kind="commission.statement_submitted")
    assert list(waiting.values_list("recipient_id", flat=True)) == [org["boss"].pk]
    assert post(rep, f"{path}submit/", {}).status_code == 409
    own = post(rep, f"{path}approve/", {})
    assert own.status_code == 403  # never their own
    assert "detail" in own.json()
    approved = post(boss, f"{path}approve/", {"comment": "Well done"})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "approved", org["boss"].pk)
    assert post(boss, f"{path}approve/", {}).status_code == 409
    assert post(boss, f"{path}reject/", {"comment": "late"}).status_code == 409
    told = Notification.objects.get(kind="commission.statement_decided")
    assert (told.recipient_id, told.link) == (org["rep"].pk,
                                              f"/app/commissions/{statement.pk}/")
    assert "approved" in told.title
    entries = AuditEntry.objects.filter(record_type="commissions.commissionstatement",
                                        record_id=str(statement.pk))
    assert entries.filter(actor=org["boss"], changes__status=["submitted", "approved"]).exists()
    assert entries.filter(actor=org["rep"], changes__status=["draft", "submitted"]).exists()


def test_an_approved_statement_is_frozen(in_acme, org):
    plan(org, base="10")
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    statement = submitted(org)
    services.approve(statement, acting_user=org["boss"])
    won_order(org, when=at("2026-11-03"), lines=[("Late", "5000", None)])
    boss = signed_in(in_acme.host, "boss@acme.example")
    refused = post(boss, f"{STATEMENTS}{statement.pk}/recompute/", {})
    assert refused.status_code == 409
    with pytest.raises(statements.StatementFrozen):
        statements.compute_statement(org["rep"], NOVEMBER)
    assert statements.refresh(datetime.date(2026, 11, 20)) == {"computed": 1, "skipped": 1}
    statement.refresh_from_db()
    assert (statement.status, statement.commission) == ("approved", D("100.00"))
    assert statement.lines.count() == 1


def test_a_rejection_needs_a_comment_and_sends_the_statement_back(in_acme, org):
    plan(org, base="10")
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    statement = submitted(org)
    boss = signed_in(in_acme.host, "boss@acme.example")
    path = f"{STATEMENTS}{statement.pk}/"
    blank = post(boss, f"{path}reject/", {"comment": "  "})
    assert blank.status_code == 400
    assert "comment" in blank.json()
    rejected = post(boss, f"{path}reject/", {"comment": "Order T-1 was returned"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_comment"]) == (
        "rejected", "Order T-1 was returned")
    told = Notification.objects.get(kind="commission.statement_decided")
    assert (told.recipient_id, told.body) == (org["rep"].pk, "Order T-1 was returned")
    again = post(signed_in(in_acme.host, "rep@acme.example"), f"{path}recompute/", {})
    assert again.status_code == 200
    assert again.json()["status"] == "draft"
    assert again.json()["decided_by"] is None


def test_a_team_lead_decides_on_their_members_only(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    mine = submitted(org, "rep")
    south = submitted(org, "rep2")
    lead = signed_in(in_acme.host, "lead@acme.example")
    assert post(lead, f"{STATEMENTS}{south.pk}/approve/", {}).status_code == 200
    assert post(lead, f"{STATEMENTS}{mine.pk}/approve/", {}).status_code == 404
    assert Notification.objects.filter(kind="commission.statement_submitted",
                                       recipient=org["lead"]).count() == 1


def test_reps_see_only_their_own_statements(in_acme, org):
    plan(org, base="10", members=("rep", "rep2", "boss"))
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    mine, theirs, bosses = (statement_for(org, who) for who in ("rep", "rep2", "boss"))

    def seen(email):
        response = signed_in(in_acme.host, email).get(STATEMENTS)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert seen("rep@acme.example") == {mine.pk}  # not even their team lead's
    assert seen("rep2@acme.example") == {theirs.pk}
    assert seen("lead@acme.example") == {theirs.pk}  # their team member's
    assert seen("boss@acme.example") == {mine.pk, theirs.pk, bosses.pk}
    assert seen("admin@acme.example") == {mine.pk, theirs.pk, bosses.pk}
    rep = signed_in(in_acme.host, "rep@acme.example")
    for pk in (theirs.pk, bosses.pk):
        assert rep.get(f"{STATEMENTS}{pk}/").status_code == 404
        assert post(rep, f"{STATEMENTS}{pk}/recompute/", {}).status_code == 404
        assert post(rep, f"{STATEMENTS}{pk}/submit/", {}).status_code == 404
    detail = rep.get(f"{STATEMENTS}{mine.pk}/").json()
    assert detail["lines"][0]["commission"] == "100.00"
    assert detail["period"] == "2026-11"


def test_a_portal_customer_gets_nothing(in_acme, org):
    client = host_client(in_acme.host)
    client.login(username="customer@acme.example", password="test-pass-123")
    assert client.get(STATEMENTS).status_code in (401, 403)
    assert client.get(PLANS).status_code in (401, 403)


def test_statement_filters_and_bad_query_strings(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    november = statement_for(org)
    october = statement_for(org, period=parse("2026-10"))
    services.submit(statement_for(org, "rep2"), acting_user=org["rep2"])
    admin = signed_in(in_acme.host, "admin@acme.example")

    def ids(**params):
        response = admin.get(STATEMENTS, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert set(ids(period="2026-10")) == {october.pk}
    assert set(ids(rep=org["rep"].pk)) == {november.pk, october.pk}
    assert len(ids(status="submitted")) == 1
    assert ids(period="2026-Q4") == []  # monthly statements
    assert ids(ordering="period_start")[0] == october.pk
    for bad in ({"period": "2026-13"}, {"period": "junk"}, {"status": "paid"},
                {"rep": "x"}, {"period_after": "soon"}):
        assert admin.get(STATEMENTS, bad).status_code == 400, bad
    bad_json = admin.post(f"{STATEMENTS}{november.pk}/reject/", "{not json",
                          content_type="application/json")
    assert bad_json.status_code == 400


def test_admins_write_plans_and_staff_read_them(in_acme, org):
    admin = signed_in(in_acme.host, "admin@acme.example")
    made = post(admin, PLANS, {
        "name": "Field sales", "name_zh_hans": "外勤销售", "currency": "cny",
        "base_rate": "3.5", "period_kind": "quarter",
        "tiers": [{"from_attainment": "0", "rate": "2"}, {"from_attainment": "100",
                                                          "rate": "8"}],
        "category_rates": [{"category": org["hardware"].pk, "multiplier": "0.5"}],
        "memberships": [{"rep": org["rep"].pk, "starts_on": "2026-01-01"}]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["currency"], body["base_rate"], len(body["tiers"])) == ("CNY", "3.5000", 2)
    path = f"{PLANS}{body['id']}/"
    changed = admin.patch(path, json.dumps({"tiers": [{"from_attainment": "50",
                                                        "rate": "4"}]}),
                          content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["tiers"] == [{"from_attainment": "50.00", "rate": "4.0000"}]
    assert len(changed.json()["memberships"]) == 1  # untouched when not sent
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert rep.get(PLANS).status_code == 200
    assert rep.get(path).json()["name"] == "Field sales"
    assert post(rep, PLANS, {"name": "Mine", "base_rate": "50"}).status_code == 403
    assert rep.delete(path).status_code == 403
    boss = signed_in(in_acme.host, "boss@acme.example")
    assert boss.patch(path, json.dumps({"base_rate": "9"}),
                      content_type="application/json").status_code == 403
    assert admin.delete(path).status_code == 204


@pytest.mark.parametrize(("payload", "field"), [
    (lambda org: {"base_rate": "150"}, "base_rate"),
    (lambda org: {"base_rate": "-1"}, "base_rate"),
    (lambda org: {"base_rate": "lots"}, "base_rate"),
    (lambda org: {"currency": "yuan"}, "currency"),
    (lambda org: {"period_kind": "week"}, "period_kind"),
    (lambda org: {"name": ""}, "name"),
    (lambda org: {"tiers": [{"from_attainment": "0", "rate": "2"},
                            {"from_attainment": "0", "rate": "3"}]}, "tiers"),
    (lambda org: {"tiers": [{"from_attainment": "-5", "rate": "2"}]}, "tiers"),
    (lambda org: {"tiers": "many"}, "tiers"),
    (lambda org: {"category_rates": [{"category": 999999, "rate": "1"}]}, "category_rates"),
    (lambda org: {"category_rates": [{"category": org["hardware"].pk, "rate": "1",
                                      "multiplier": "2"}]}, "category_rates"),
    (lambda org: {"category_rates": [{"category": org["hardware"].pk}]}, "category_rates"),
    (lambda org: {"memberships": [{"rep": 999999, "starts_on": "2026-01-01"}]},
     "memberships"),
    (lambda org: {"memberships": [{"rep": org["rep"].pk, "starts_on": "2026-02-01",
                                   "ends_on": "2026-01-01"}]}, "memberships"),
    (lambda org: {"memberships": [{"rep": org["rep"].pk, "starts_on": "not a date"}]},
     "memberships"),
])
def test_bad_plans_answer_400_with_the_field(in_acme, org, payload, field):
    admin = signed_in(in_acme.host, "admin@acme.example")
    response = post(admin, PLANS, {"name": "Plan", "base_rate": "5", **payload(org)})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not CommissionPlan.objects.exists()


def test_a_rep_is_on_one_plan_at_a_time(in_acme, org):
    plan(org, name="First")
    admin = signed_in(in_acme.host, "admin@acme.example")
    overlapping = post(admin, PLANS, {"name": "Second", "base_rate": "5", "memberships": [
        {"rep": org["rep"].pk, "starts_on": "2026-06-01", "ends_on": "2026-06-30"}]})
    assert overlapping.status_code == 400
    assert "memberships" in overlapping.json()
    twice = post(admin, PLANS, {"name": "Third", "base_rate": "5", "memberships": [
        {"rep": org["rep2"].pk, "starts_on": "2026-01-01", "ends_on": "2026-03-31"},
        {"rep": org["rep2"].pk, "starts_on": "2026-03-01"}]})
    assert twice.status_code == 400
    PlanMembership.objects.filter(rep=org["rep"]).update(ends_on=datetime.date(2026, 5, 31))
    later = post(admin, PLANS, {"name": "Second", "base_rate": "7", "memberships": [
        {"rep": org["rep"].pk, "starts_on": "2026-06-01"}]})
    assert later.status_code == 201, later.content
    # May is governed by the first plan, June by the second.
    won_order(org, when=at("2026-05-10"), lines=[("May", "100", None)])
    won_order(org, when=at("2026-06-10"), lines=[("June", "100", None)])
    assert statement_for(org, period=parse("2026-05")).commission == D("5.00")
    june = statement_for(org, period=parse("2026-06"))
    assert (june.commission, june.plan_name) == (D("7.00"), "Second")


def test_no_plan_no_statement(in_acme, org):
    with pytest.raises(statements.StatementError):
        statement_for(org)
    plan(org, is_active=False)
    with pytest.raises(statements.StatementError):
        statement_for(org)


def test_the_monthly_task_computes_the_previous_and_current_periods(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    won_order(org, when=at("2026-11-02"), lines=[("November", "1000", None)])
    won_order(org, when=at("2026-12-02"), lines=[("December", "500", None)])
    assert statements.refresh(datetime.date(2026, 12, 1)) == {"computed": 4, "skipped": 0}
    rows = {(row.rep_id, row.period_code): row.commission
            for row in CommissionStatement.objects.all()}
    assert rows == {(org["rep"].pk, "2026-11"): D("100.00"),
                    (org["rep"].pk, "2026-12"): D("50.00"),
                    (org["rep2"].pk, "2026-11"): D("0.00"),
                    (org["rep2"].pk, "2026-12"): D("0.00")}
    # Run again: the same statements are recomputed, none added.
    statements.refresh(datetime.date(2026, 12, 1))
    assert CommissionStatement.objects.count() == 4
    # The task itself works from today in the tenant's zone.
    CommissionStatement.objects.all().delete()
    assert tasks.refresh_statements()["computed"] == 4


def test_managers_compute_a_period_on_demand(in_acme, org):
    plan(org, base="10", members=("rep", "rep2"))
    boss = signed_in(in_acme.host, "boss@acme.example")
    response = post(boss, f"{STATEMENTS}generate/", {"day": "2026-11-15"})
    assert response.status_code == 200, response.content
    assert response.json() == {"computed": 2, "skipped": 0}
    assert set(CommissionStatement.objects.values_list("period_start", flat=True)) == {
        datetime.date(2026, 11, 1)}
    assert post(boss, f"{STATEMENTS}generate/", {"day": "someday"}).status_code == 400
    rep = signed_in(in_acme.host, "rep@acme.example")
    assert post(rep, f"{STATEMENTS}generate/", {}).status_code == 403


def test_globex_cannot_read_or_decide_on_acme_statements(in_acme, org, globex):
    acme_plan = plan(org, base="10")
    won_order(org, when=at("2026-11-02"), lines=[("Deal", "1000", None)])
    statement = submitted(org)
    client = host_client(globex.host)
    auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(globex.tenant)}"}
    assert client.get(STATEMENTS, **auth).json()["results"] == []
    assert client.get(PLANS, **auth).json()["results"] == []
    path = f"{STATEMENTS}{statement.pk}/"
    assert client.get(path, **auth).status_code == 404
    for step in ("approve", "reject", "recompute", "submit"):
        response = client.post(f"{path}{step}/", json.dumps({"comment": "x"}),
                               content_type="application/json", **auth)
        assert response.status_code == 404, step
    assert client.get(f"{PLANS}{acme_plan.pk}/", **auth).status_code == 404
    acme_auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get(STATEMENTS, **acme_auth).status_code == 401
    with tenant_context(globex.tenant):
        assert tasks.refresh_statements() == {"computed": 0, "skipped": 0}
    with tenant_context(in_acme.tenant):  # the requests above left the connection on globex
        statement.refresh_from_db()
        assert statement.status == "submitted"
        assert CommissionStatement.objects.count() == 1


def test_queries_do_not_grow_with_orders_or_statements(in_acme, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rated = plan(org, base="5", tiers=[("0", "2")], members=("rep", "rep2", "lead"))
    PlanCategoryRate.objects.create(plan=rated, category=org["services"], rate=D("10"))
    admin = signed_in(in_acme.host, "admin@acme.example")

    def counted(action):
        with CaptureQueriesContext(connection) as captured:
            action()
        return len(captured)

    def listing():
        assert admin.get(STATEMENTS).status_code == 200
        assert admin.get("/app/commissions/").status_code == 200

    won_order(org, when=at("2026-11-02"), lines=[("One", "100", "course")])
    few = counted(lambda: statement_for(org)), counted(listing)
    for day in range(3, 9):
        won_order(org, when=at(f"2026-11-{day:02d}"), lines=[
            ("Course", "100", "course"), ("Headset", "50", "headset"), ("Free", "1", None)])
    statement_for(org, "rep2")
    statement_for(org, "lead")
    many = counted(lambda: statement_for(org)), counted(listing)
    assert many[0] <= few[0] + 1  # the bulk insert of the lines may take one more
    assert many[1] == few[1]
    assert CommissionStatement.objects.get(rep=org["rep"]).lines.count() == 19
