"""Contract pages: list with filters, detail with its terms, forms with clear errors, the
"Renew" button, and visibility by role."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account
from tests.fixtures.world import signed_in


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    mine = Account.objects.create(name="Rep's own", owner=rep)
    theirs = Account.objects.create(name="Other rep's", owner=rep2)
    return {"rep": rep, "rep2": rep2, "mine": mine, "theirs": theirs}


def make(org, name, *, owner="rep", account="mine", **fields):
    return Contract.objects.create(
        name=name, account=org[account], owner=org[owner], start=datetime.date(2027, 1, 1),
        end=fields.pop("end", datetime.date(2027, 12, 31)), value=Decimal("500"),
        status=fields.pop("status", "active"), **fields)


def test_the_list_shows_visible_contracts_and_filters(in_acme, org):
    make(org, "Hosting")
    make(org, "Draft deal", status="draft")
    make(org, "Hidden one", owner="rep2", account="theirs")
    client = signed_in(in_acme.host, "rep@acme.example")
    page = client.get("/app/contracts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hosting" in text
    assert "Draft deal" in text
    assert "Hidden one" not in text
    filtered = client.get("/app/contracts/", {"status": "draft"}).content.decode()
    assert "Draft deal" in filtered
    assert "Hosting" not in filtered
    assert client.get("/app/contracts/", {"end_after": "junk"}).status_code == 200


def test_create_edit_and_renew_through_the_pages(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    form = client.get(f"/app/contracts/new/?account={org['mine'].pk}")
    assert form.status_code == 200
    response = client.post("/app/contracts/new/", {
        "name": "Support", "account": org["mine"].pk, "start": "2027-01-01",
        "end": "2027-12-31", "value": "1200.00", "currency": "cny",
        "billing_period": "monthly", "renewal_notice_days": "30", "status": "active",
        "owner": org["rep"].pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Contract.objects.get(name="Support")
    assert created.currency == "CNY"
    assert created.value == Decimal("1200.00")
    detail = client.get(f"/app/contracts/{created.pk}/")
    assert detail.status_code == 200
    renew_url = f"/app/contracts/{created.pk}/renew/"
    assert renew_url in detail.content.decode()  # the "Renew" button
    edit = client.post(f"/app/contracts/{created.pk}/edit/", {
        "name": "Support plus", "account": org["mine"].pk, "start": "2027-01-01",
        "end": "2027-12-31", "value": "1500.00", "currency": "CNY",
        "billing_period": "monthly", "renewal_notice_days": "45", "status": "active",
        "owner": org["rep"].pk})
    assert edit.status_code == 302
    created.refresh_from_db()
    assert (created.name, created.renewal_notice_days) == ("Support plus", 45)
    renewed = client.post(f"/app/contracts/{created.pk}/renew/")
    assert renewed.status_code == 303
    following = Contract.objects.get(previous=created)
    assert renewed["Location"] == f"/app/contracts/{following.pk}/"
    chain = client.get(f"/app/contracts/{following.pk}/").content.decode()
    assert created.number in chain
    assert following.number in chain
    assert renew_url not in client.get(f"/app/contracts/{created.pk}/").content.decode()
    again = client.post(renew_url, follow=True)
    assert "already been renewed" in again.content.decode()
    assert Contract.objects.filter(previous=created).count() == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"end": "2026-12-31"}, "end"),
    ({"start": "yesterday"}, "start"),
    ({"value": "-5"}, "value"),
    ({"currency": "RMB1"}, "currency"),
    ({"name": ""}, "name"),
])
def test_bad_form_input_shows_field_errors(in_acme, org, changes, field):
    client = signed_in(in_acme.host, "rep@acme.example")
    data = {"name": "Support", "account": org["mine"].pk, "start": "2027-01-01",
            "end": "2027-12-31", "value": "1200.00", "currency": "CNY",
            "billing_period": "monthly", "renewal_notice_days": "30", "status": "active"}
    response = client.post("/app/contracts/new/", {**data, **changes})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Contract.objects.exists()


def test_other_reps_contracts_are_not_found(in_acme, org):
    hidden = make(org, "Hidden", owner="rep2", account="theirs")
    client = signed_in(in_acme.host, "rep@acme.example")
    for path in (f"/app/contracts/{hidden.pk}/", f"/app/contracts/{hidden.pk}/edit/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/app/contracts/{hidden.pk}/renew/").status_code == 404
    assert client.post(f"/app/contracts/{hidden.pk}/delete/").status_code == 404
    assert not Contract.objects.filter(previous=hidden).exists()


def test_a_portal_customer_is_kept_out(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    assert client.get("/app/contracts/").status_code == 200
    from django.test import Client

    anonymous = Client(HTTP_HOST=in_acme.host)
    assert anonymous.get("/app/contracts/").status_code == 302


def test_deleting_moves_the_contract_to_the_bin(in_acme, org):
    doomed = make(org, "Doomed")
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post(f"/app/contracts/{doomed.pk}/delete/")
    assert response.status_code == 303
    assert client.get(f"/app/contracts/{doomed.pk}/").status_code == 404
    assert Contract.everything.get(pk=doomed.pk).deleted_at is not None
