"""Invoice pages and API for staff: list with filters, detail, a draft by hand, issuing, the
PDF, payments and refunds for managers only, statements; bad input answered 4xx, never 500;
a rep sees only their accounts' invoices; globex can neither read nor change acme's."""

import json
from decimal import Decimal

import pytest
from django.core import mail

from core import audit
from crm_apps.billing import services
from crm_apps.billing.models import Invoice
from tests.fixtures.world import admin_token, host_client, post, signed_in
from tests.integration.test_invoices import SETUP, books_fixture, draft, issued  # noqa: F401


@pytest.fixture
def pages(books, in_acme):
    return {name: signed_in(in_acme.host, email) for name, email in (
        ("rep", "rep@acme.example"), ("rep2", "rep2@acme.example"),
        ("manager", "boss@acme.example"), ("admin", "admin@acme.example"))}


def test_the_list_filters_and_shows_only_visible_accounts(books, pages):
    mine = issued(books)
    theirs = issued(books, account="theirs")
    rep = pages["rep"]
    listed = rep.get("/app/billing/")
    assert listed.status_code == 200
    assert mine.number in listed.text
    assert theirs.number not in listed.text
    admin = pages["admin"]
    everything = admin.get("/app/billing/")
    assert mine.number in everything.text
    assert theirs.number in everything.text
    only = admin.get("/app/billing/", {"account": books["theirs"].pk})
    assert theirs.number in only.text
    assert mine.number not in only.text
    assert admin.get("/app/billing/", {"status": "void"}).text.count("INV-") == 0
    for bad in ({"status": "nonsense"}, {"issued_after": "soon"}, {"account": "x"},
                {"page": "999"}, {"q": "\x00"}):
        assert admin.get("/app/billing/", bad).status_code in (200, 400, 404), bad


def test_detail_and_pdf_follow_visibility(books, pages):
    theirs = issued(books, account="theirs")
    assert pages["rep"].get(f"/app/billing/{theirs.pk}/").status_code == 404
    assert pages["rep"].get(f"/app/billing/{theirs.pk}/pdf/").status_code == 404
    assert pages["rep2"].get(f"/app/billing/{theirs.pk}/").status_code == 200
    response = pages["rep2"].get(f"/app/billing/{theirs.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    # The manager leads North, not South: rep2's account is out of sight for them too.
    assert pages["manager"].get(f"/app/billing/{theirs.pk}/").status_code == 404
    api = pages["rep"].get("/api/v1/invoices/").json()["results"]
    assert theirs.pk not in [row["id"] for row in api]
    assert pages["rep"].get(f"/api/v1/invoices/{theirs.pk}/").status_code == 404


def test_a_draft_by_hand_then_issued_on_its_page(books, pages):
    rep = pages["rep"]
    assert rep.get("/app/billing/new/", {"account": books["mine"].pk}).status_code == 200
    form = {"account": books["mine"].pk, "contact": books["buyer"].pk, "currency": "cny",
            "language": "en", "due_date": "", "discount_percent": "0", "notes": "",
            "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Audit", "lines-0-quantity": "2",
            "lines-0-unit_price": "50.005", "lines-0-tax_rate": "6",
            "lines-1-description": ""}
    refused = rep.post("/app/billing/new/", form)
    assert refused.status_code == 400  # three decimals
    form["lines-0-unit_price"] = "999999999999.99"
    assert rep.post("/app/billing/new/", {**form, "lines-0-quantity": "9999999999"}
                    ).status_code == 400  # more than an amount holds
    form["lines-0-unit_price"] = "50.00"
    for field, bad in (("account", books["theirs"].pk), ("currency", "yuan"),
                       ("due_date", "tomorrow"), ("lines-0-quantity", "-1")):
        assert rep.post("/app/billing/new/", {**form, field: bad}).status_code == 400, field
    assert rep.post("/app/billing/new/", {**form, "lines-0-description": ""}).status_code == 400
    made = rep.post("/app/billing/new/", form)
    assert made.status_code == 303
    invoice = Invoice.objects.get(pk=int(made["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert (invoice.total, invoice.currency, invoice.status) == (Decimal("106.00"), "CNY",
                                                                 "draft")
    assert rep.post(f"/app/billing/{invoice.pk}/issue/").status_code == 303
    invoice.refresh_from_db()
    assert invoice.number.startswith("INV-")
    page = rep.get(f"/app/billing/{invoice.pk}/")
    assert invoice.number in page.text
    assert "106.00" in page.text
    assert "Record payment" not in page.text  # reps do not handle money
    mail.outbox.clear()
    assert rep.post(f"/app/billing/{invoice.pk}/send/").status_code == 303
    assert len(mail.outbox) == 1


def test_a_draft_is_edited_on_its_page_and_every_change_is_in_its_history(books, pages):
    invoice = draft(books)
    rep = pages["rep"]
    page = rep.get(f"/app/billing/{invoice.pk}/edit/")
    assert page.status_code == 200
    assert "Widget 小部件" in page.text
    assert "Installation" in page.text
    form = {"account": books["mine"].pk, "contact": books["buyer"].pk, "currency": "usd",
            "language": "zh-hans", "due_date": "2030-01-31", "discount_percent": "0",
            "notes": "Net 30", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "2",
            "lines-0-description": "Consulting", "lines-0-quantity": "3",
            "lines-0-unit_price": "100.00", "lines-0-tax_rate": "10",
            "lines-1-description": ""}
    for field, bad in (("lines-0-unit_price", "1.005"), ("account", books["theirs"].pk),
                       ("currency", "dollars"), ("lines-TOTAL_FORMS", "x")):
        assert rep.post(f"/app/billing/{invoice.pk}/edit/", {**form, field: bad}
                        ).status_code == 400, field
    invoice.refresh_from_db()
    assert (invoice.total, invoice.lines.count()) == (Decimal("165.29"), 2)  # kept

    assert rep.post(f"/app/billing/{invoice.pk}/edit/", form).status_code == 303
    invoice.refresh_from_db()
    assert (invoice.currency, invoice.language, invoice.total) == ("USD", "zh-hans",
                                                                  Decimal("330.00"))
    assert list(invoice.lines.values_list("description", flat=True)) == ["Consulting"]

    assert rep.post(f"/app/billing/{invoice.pk}/issue/").status_code == 303
    # Issued, the invoice is fixed: the page sends the user back, the post changes nothing.
    assert rep.get(f"/app/billing/{invoice.pk}/edit/").status_code == 303
    assert rep.post(f"/app/billing/{invoice.pk}/edit/",
                    {**form, "lines-0-unit_price": "1.00"}).status_code == 303
    invoice.refresh_from_db()
    assert invoice.total == Decimal("330.00")
    assert pages["rep"].get(f"/app/billing/{issued(books, account='theirs').pk}/edit/"
                            ).status_code == 404

    changes = [(entry.action, entry.actor.email if entry.actor else None, entry.changes)
               for entry in audit.history(invoice).order_by("id")]
    assert changes[0][0] == "created"
    rep_changes = [change for action, actor, change in changes
                   if action == "updated" and actor == "rep@acme.example"]
    assert any(change.get("currency") == ["CNY", "USD"] for change in rep_changes)
    assert any(change.get("status") == ["draft", "open"] for change in rep_changes)


def test_payments_and_refunds_on_the_pages_for_managers_only(books, pages):
    invoice = issued(books)
    rep, manager = pages["rep"], pages["manager"]
    path = f"/app/billing/{invoice.pk}/payments/new/"
    assert rep.get(path).status_code == 403
    assert rep.post(path, {"amount": "1", "method": "cash"}).status_code == 403
    assert manager.get(path).status_code == 200
    assert manager.post(path, {"amount": "165.30", "method": "cash"}).status_code == 400
    assert manager.post(path, {"amount": "x", "method": "cash"}).status_code == 400
    assert manager.post(path, {"amount": "5", "method": "stripe"}).status_code == 400
    assert manager.post(path, {"amount": "165.29", "method": "bank_transfer",
                               "reference": "TX-1"}).status_code == 303
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payment = invoice.payments.get()
    refund = f"/app/billing/{invoice.pk}/payments/{payment.pk}/refund/"
    assert rep.post(refund, {"amount": "1"}).status_code == 403
    assert manager.post(refund, {"amount": "200"}).status_code == 303  # refused, told why
    assert manager.post(refund, {"amount": "abc"}).status_code == 303
    invoice.refresh_from_db()
    assert invoice.refunded_total == 0
    assert manager.post(refund, {"amount": "165.29", "reason": "Returned"}).status_code == 303
    invoice.refresh_from_db()
    assert invoice.status == "refunded"
    assert manager.post(f"/app/billing/{invoice.pk}/payments/999999/refund/",
                        {"amount": "1"}).status_code == 404
    fresh = issued(books)
    assert rep.post(f"/app/billing/{fresh.pk}/void/").status_code == 403
    assert manager.post(f"/app/billing/{fresh.pk}/void/").status_code == 303
    fresh.refresh_from_db()
    assert fresh.status == "void"


def test_the_statement_page_and_api(books, pages):
    invoice = issued(books)
    services.record_payment(invoice, "65.29", "cash")
    today = services.tenant_today().isoformat()
    rep = pages["rep"]
    page = rep.get(f"/app/billing/statement/{books['mine'].pk}/")
    assert page.status_code == 200
    assert "100.00" in page.text
    assert invoice.number in page.text
    assert rep.get(f"/app/billing/statement/{books['mine'].pk}/",
                   {"start": "x", "end": today}).status_code == 400
    assert rep.get(f"/app/billing/statement/{books['mine'].pk}/",
                   {"start": today, "end": "2000-01-01"}).status_code == 400
    assert rep.get(f"/app/billing/statement/{books['theirs'].pk}/").status_code == 404
    body = rep.get("/api/v1/statements/", {"account": books["mine"].pk, "start": today,
                                           "end": today}).json()
    assert (body["closing_balance"], body["currency"]) == ("100.00", "CNY")
    assert [entry["kind"] for entry in body["entries"]] == ["invoice", "payment"]
    for bad in ({}, {"account": "x", "start": today, "end": today},
                {"account": books["mine"].pk, "start": "soon", "end": today},
                {"account": books["mine"].pk, "start": today, "end": "2000-01-01"},
                {"account": books["mine"].pk, "start": today, "end": today, "currency": "$"}):
        assert rep.get("/api/v1/statements/", bad).status_code == 400, bad
    assert rep.get("/api/v1/statements/", {"account": books["theirs"].pk, "start": today,
                                           "end": today}).status_code == 404


def test_the_api_makes_edits_issues_and_deletes_drafts(books, pages):
    rep = pages["rep"]
    made = post(rep, "/api/v1/invoices/", {
        "account": books["mine"].pk, "contact": books["buyer"].pk, "discount_percent": "5",
        "lines": [{"description": "Widget", "quantity": "3", "unit_price": "19.99",
                   "discount_percent": "10", "tax_rate": "13"},
                  {"description": "Installation", "unit_price": "100.00", "tax_rate": "13"}]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["total"], body["status"], body["number"]) == ("165.29", "draft", "")
    path = f"/api/v1/invoices/{body['id']}/"
    changed = rep.patch(path, json.dumps({"lines": [{"description": "Only",
                                                     "unit_price": "10.00"}]}),
                        content_type="application/json")
    assert changed.json()["total"] == "9.50"
    for bad in ({"account": books["theirs"].pk}, {"currency": "yuan"},
                {"lines": [{"description": "x", "unit_price": "-1"}]},
                {"lines": [{"unit_price": "1"}]}, {"discount_percent": "101"},
                {"lines": "nope"}, {"due_date": "soon"},
                {"lines": [{"description": "Huge", "quantity": "9999999999",
                            "unit_price": "999999999999.99"}]}):
        response = rep.patch(path, json.dumps(bad), content_type="application/json")
        assert response.status_code == 400, (bad, response.content)
    assert post(rep, "/api/v1/invoices/", {"lines": []}).status_code == 400
    assert post(rep, "/api/v1/invoices/", {"account": books["mine"].pk,
                                           "contact": books["buyer"].pk + 1000}
                ).status_code == 400
    issued_now = post(rep, f"{path}issue/", {})
    assert issued_now.status_code == 200
    assert issued_now.json()["number"].startswith("INV-")
    assert post(rep, f"{path}issue/", {}).status_code == 409
    assert rep.patch(path, json.dumps({"notes": "late"}),
                     content_type="application/json").status_code == 409
    assert rep.delete(path).status_code == 409
    assert rep.get(f"{path}pdf/").content.startswith(b"%PDF-")
    mail.outbox.clear()
    assert post(rep, f"{path}send/", {}).status_code == 200
    assert len(mail.outbox) == 1
    another = post(rep, "/api/v1/invoices/", {"account": books["mine"].pk}).json()
    assert post(rep, f"/api/v1/invoices/{another['id']}/issue/", {}).status_code == 409
    assert rep.delete(f"/api/v1/invoices/{another['id']}/").status_code == 204
    assert rep.get("/api/v1/invoices/", {"status": "nonsense"}).status_code == 400
    assert rep.get("/api/v1/invoices/", {"status": "open"}).status_code == 200


def test_customers_and_anonymous_get_no_staff_invoice_pages(books, in_acme):
    invoice = issued(books)
    anonymous = host_client(in_acme.host)
    assert anonymous.get("/app/billing/").status_code == 302
    assert anonymous.get(f"/api/v1/invoices/{invoice.pk}/").status_code in (401, 403)
    customer = host_client(in_acme.host)
    customer.login(username="customer@acme.example", password="test-pass-123")
    assert customer.get("/app/billing/").status_code == 403
    assert customer.get(f"/api/v1/invoices/{invoice.pk}/").status_code in (401, 403)


def test_globex_cannot_read_or_change_acme_invoices(books, in_acme, globex):
    invoice = issued(books)
    token = admin_token(globex.tenant)
    client = host_client(globex.host)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/invoices/", **auth).json()["results"] == []
    path = f"/api/v1/invoices/{invoice.pk}/"
    assert client.get(path, **auth).status_code == 404
    assert client.patch(path, json.dumps({"notes": "x"}), content_type="application/json",
                        **auth).status_code == 404
    assert client.delete(path, **auth).status_code == 404
    for action in ("issue", "void", "send", "refunds"):
        assert client.post(f"{path}{action}/", **auth).status_code == 404, action
    assert client.post(f"{path}payments/", json.dumps({"amount": "1", "method": "cash"}),
                       content_type="application/json", **auth).status_code == 404
    assert client.get(f"{path}pdf/", **auth).status_code == 404
    assert client.get("/api/v1/statements/", {"account": books["mine"].pk,
                                              "start": "2026-01-01", "end": "2026-12-31"},
                      **auth).status_code == 404
    acme_auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get("/api/v1/invoices/", **acme_auth).status_code == 401
    globex_admin = signed_in(globex.host, "admin@globex.example")
    assert globex_admin.get(f"/app/billing/{invoice.pk}/").status_code == 404
    assert globex_admin.post(f"/app/billing/{invoice.pk}/void/").status_code == 404
    assert globex_admin.post(f"/app/billing/{invoice.pk}/payments/new/",
                             {"amount": "1", "method": "cash"}).status_code == 404
    from django_tenants.utils import tenant_context

    with tenant_context(in_acme.tenant):
        invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.notes) == ("open", 0, "")


def test_issued_invoices_show_on_their_accounts_timeline(books, pages):
    shown = issued(books)
    draft(books)  # a draft is not on the timeline
    issued(books, account="theirs")
    response = pages["rep"].get("/api/v1/timeline/", {"account": books["mine"].pk})
    assert response.status_code == 200, response.content
    items = [item for item in response.json()["results"] if item["source"] == "invoices"]
    assert [(item["id"], item["link"]) for item in items] == [
        (str(shown.pk), f"/app/billing/{shown.pk}/")]
    assert items[0]["title"] == shown.number
    assert "165.29 CNY" in items[0]["summary"]
    assert pages["rep"].get("/api/v1/timeline/", {"account": books["theirs"].pk}
                            ).status_code in (403, 404)
