"""Quote pages: the list with filters, the form with its lines (catalogue or free), clear
errors, the detail with totals and versions, drafts only editable, the opportunity's quotes,
and both languages."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from oscar.core.loading import get_model

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Account, Contact
from crm_apps.quotes import services
from crm_apps.quotes.models import Quote
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from tests.fixtures.world import signed_in
from tests.integration.test_quotes import shop_in

Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")


@pytest.fixture
def org(in_acme):
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    mine = Account.objects.create(name="Rep's own", owner=rep)
    theirs = Account.objects.create(name="Other rep's", owner=rep2)
    buyer = Contact.objects.create(first_name="Wei", last_name="Zhang", account=mine, owner=rep)
    shop_in("CNY")  # the shop prices in yuan, like the quotes
    widget = Product.objects.create(title="Widget 小部件", structure="standalone",
                                    product_class=ProductClass.objects.get(slug="standard"))
    StockRecord.objects.create(product=widget, partner=Partner.objects.get(code="default"),
                               partner_sku="W-1", price=Decimal("19.99"), num_in_stock=5)
    return {"rep": rep, "rep2": rep2, "mine": mine, "theirs": theirs, "buyer": buyer,
            "widget": widget}


def make(org, title, *, owner="rep", account="mine", **fields):
    return services.create_quote(
        acting_user=org[owner], title=title, account=org[account], owner=org[owner],
        lines=[{"description": "Installation", "unit_price": Decimal("100.00"),
                "tax_rate": Decimal("13")}], **fields)


def form_data(org, lines, **header):
    data = {"title": "Widgets", "account": org["mine"].pk, "contact": org["buyer"].pk,
            "currency": "CNY", "language": "en", "valid_until": "2030-01-31",
            "discount_percent": "5", "terms": "", "owner": org["rep"].pk, "team": "",
            "opportunity": "", **header,
            "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    return data


WIDGETS = {"product": "", "description": "", "quantity": "3", "unit_price": "",
           "discount_percent": "10", "tax_rate": "13"}
INSTALLATION = {"product": "", "description": "Installation", "quantity": "1",
                "unit_price": "100.00", "discount_percent": "0", "tax_rate": "13"}


def test_the_list_shows_visible_quotes_and_filters(in_acme, org):
    make(org, "Hosting")
    sent = make(org, "Sent one")
    Quote.objects.filter(pk=sent.pk).update(status="sent")
    make(org, "Hidden one", owner="rep2", account="theirs")
    client = signed_in(in_acme.host, "rep@acme.example")
    page = client.get("/app/quotes/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hosting" in text
    assert "Sent one" in text
    assert "Hidden one" not in text
    assert "113.00 CNY" in text
    assert 'href="/app/quotes/"' in text  # the Quotes tab
    filtered = client.get("/app/quotes/", {"status": "sent"}).content.decode()
    assert "Sent one" in filtered
    assert "Hosting" not in filtered
    assert "Hosting" not in client.get("/app/quotes/", {"q": "sent"}).content.decode()
    for junk in ({"valid_after": "junk"}, {"status": "nope"}, {"account": "x"}):
        assert client.get("/app/quotes/", junk).status_code == 200


def test_create_with_a_catalogue_line_and_a_free_line(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    form = client.get("/app/quotes/new/")
    assert form.status_code == 200
    text = form.content.decode()
    assert "Widget 小部件 (W-1) · 19.99 CNY" in text  # the product select
    assert 'id="catalogue-prices"' in text  # what the script fills lines with
    assert "lines-TOTAL_FORMS" in text
    response = client.post("/app/quotes/new/", form_data(org, [
        {**WIDGETS, "product": str(org["widget"].pk)}, INSTALLATION]))
    assert response.status_code == 303, response.content.decode()[:3000]
    created = Quote.objects.get(title="Widgets")
    assert response["Location"] == f"/app/quotes/{created.pk}/"
    lines = list(created.lines.order_by("position"))
    assert [(line.description, line.sku, line.unit_price) for line in lines] == [
        ("Widget 小部件", "W-1", Decimal("19.99")), ("Installation", "", Decimal("100.00"))]
    assert (created.total, created.tax_total, created.discount_total) == (
        Decimal("165.29"), Decimal("19.02"), Decimal("13.70"))
    assert created.owner == org["rep"]
    detail = client.get(response["Location"]).content.decode()
    for shown in ("Widget 小部件", "SKU W-1", "165.29 CNY", "13.70", "19.02", "Draft",
                  created.number, f"/app/quotes/{created.pk}/edit/"):
        assert shown in detail, shown


def test_a_price_typed_over_the_catalogue_wins(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post("/app/quotes/new/", form_data(org, [
        {**WIDGETS, "product": str(org["widget"].pk), "unit_price": "15.00",
         "discount_percent": "0", "tax_rate": "0"}], discount_percent="0"))
    assert response.status_code == 303
    assert Quote.objects.get(title="Widgets").total == Decimal("45.00")


@pytest.mark.parametrize(("line", "message"), [
    ({**INSTALLATION, "quantity": "-1"}, "The quantity must be more than zero."),
    ({**INSTALLATION, "discount_percent": "150"}, "A percentage from 0 to 100."),
    ({**INSTALLATION, "unit_price": "-3"}, "A price cannot be negative."),
    ({**INSTALLATION, "unit_price": "abc"}, "Enter an amount, such as 19.99."),
    ({**INSTALLATION, "description": ""}, "Describe the line or choose a product."),
    ({**INSTALLATION, "product": "999999"}, "Select a valid choice."),
])
def test_bad_lines_show_their_message(in_acme, org, line, message):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post("/app/quotes/new/", form_data(org, [line]))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Quote.objects.exists()


def test_bad_quote_fields_show_their_message(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post("/app/quotes/new/", form_data(
        org, [INSTALLATION], title="", discount_percent="101", currency="¥¥¥",
        account=org["theirs"].pk))
    assert response.status_code == 400
    text = response.content.decode()
    for message in ("Give the quote a title.", "A percentage from 0 to 100.",
                    "Give a three-letter ISO 4217 code", "Select a valid choice."):
        assert message in text, message
    broken = client.post("/app/quotes/new/", {"title": "No management form"})
    assert broken.status_code == 400
    assert not Quote.objects.exists()


def test_editing_a_draft_replaces_its_lines_and_a_sent_quote_is_refused(in_acme, org):
    draft = make(org, "Draft")
    client = signed_in(in_acme.host, "rep@acme.example")
    page = client.get(f"/app/quotes/{draft.pk}/edit/")
    assert page.status_code == 200
    assert 'value="Installation"' in page.content.decode()  # the existing line
    data = form_data(org, [{**INSTALLATION, "description": "Training", "unit_price": "50.00",
                            "tax_rate": "0", "quantity": "2"},
                           {**INSTALLATION, "DELETE": "on"}],
                     title="Draft", discount_percent="0")
    data["lines-INITIAL_FORMS"] = "2"
    response = client.post(f"/app/quotes/{draft.pk}/edit/", data)
    assert response.status_code == 303, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert [line.description for line in draft.lines.all()] == ["Training"]
    assert draft.total == Decimal("100.00")
    Quote.objects.filter(pk=draft.pk).update(status="sent")
    refused = client.post(f"/app/quotes/{draft.pk}/edit/", {**data, "title": "Changed"})
    assert refused.status_code == 303
    assert refused["Location"] == f"/app/quotes/{draft.pk}/"
    draft.refresh_from_db()
    assert draft.title == "Draft"
    assert client.get(f"/app/quotes/{draft.pk}/edit/").status_code == 303


def test_a_new_version_from_the_detail_page(in_acme, org):
    sent = make(org, "Offer")
    Quote.objects.filter(pk=sent.pk).update(status="sent")
    client = signed_in(in_acme.host, "rep@acme.example")
    detail = client.get(f"/app/quotes/{sent.pk}/").content.decode()
    assert f"/app/quotes/{sent.pk}/new-version/" in detail
    assert f"/app/quotes/{sent.pk}/edit/" not in detail  # only drafts are edited
    response = client.post(f"/app/quotes/{sent.pk}/new-version/")
    assert response.status_code == 303
    following = Quote.objects.get(number=sent.number, version=2)
    assert response["Location"] == f"/app/quotes/{following.pk}/edit/"
    history = client.get(f"/app/quotes/{following.pk}/").content.decode()
    assert f"{sent.number} v2" in history
    assert f'href="/app/quotes/{sent.pk}/"' in history  # the earlier version, linked
    assert "Superseded" in history
    again = client.post(f"/app/quotes/{sent.pk}/new-version/", follow=True)
    assert "already has a newer one" in again.content.decode()


def test_the_opportunity_page_lists_its_quotes_and_prefills_a_new_one(in_acme, org):
    pipeline = Pipeline.objects.create(name="Deals", currency="USD")
    stage = Stage.objects.create(pipeline=pipeline, name="Proposal", probability=50)
    deal = Opportunity.objects.create(name="Big deal", pipeline=pipeline, stage=stage,
                                      account=org["mine"], contact=org["buyer"],
                                      currency="USD", owner=org["rep"])
    make(org, "For the deal", opportunity=deal)
    make(org, "Not for the deal")
    client = signed_in(in_acme.host, "rep@acme.example")
    page = client.get(f"/app/sales/opportunities/{deal.pk}/").content.decode()
    assert f"/app/quotes/new/?opportunity={deal.pk}" in page
    assert "For the deal" in page
    assert "Not for the deal" not in page
    form = client.get("/app/quotes/new/", {"opportunity": deal.pk})
    text = form.content.decode()
    assert 'value="Big deal"' in text
    assert 'value="USD"' in text
    assert f'<option value="{org["mine"].pk}" selected>' in text
    assert f'<option value="{deal.pk}" selected>' in text


def test_both_languages_render(in_acme, org):
    shown = make(org, "报价 Offer", language="zh-hans")
    client = signed_in(in_acme.host, "rep@acme.example")
    client.cookies["django_language"] = "zh-hans"
    for path in ("/app/quotes/", f"/app/quotes/{shown.pk}/", "/app/quotes/new/",
                 f"/app/quotes/{shown.pk}/edit/"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert '<html lang="zh-hans">' in text
        assert "报价 Offer" in text or path.endswith("new/")
    assert "简体中文" in client.get(f"/app/quotes/{shown.pk}/").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(f"/app/quotes/{shown.pk}/").content.decode()
    assert '<html lang="en">' in english
    assert "Versions" in english


def test_send_pdf_and_delete_buttons(in_acme, org):
    from django.core import mail

    org["buyer"].email = "wei@example.com"
    org["buyer"].save()
    draft = make(org, "To send", contact=org["buyer"])
    client = signed_in(in_acme.host, "rep@acme.example")
    pdf = client.get(f"/app/quotes/{draft.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    sent = client.post(f"/app/quotes/{draft.pk}/send/", follow=True)
    assert "The quote was sent." in sent.content.decode()
    draft.refresh_from_db()
    assert draft.status == "sent"
    assert len(mail.outbox) == 1
    nobody = make(org, "Nobody to send to")
    refused = client.post(f"/app/quotes/{nobody.pk}/send/", follow=True)
    assert "no e-mail address" in refused.content.decode()
    nobody.refresh_from_db()
    assert nobody.status == "draft"
    assert client.post(f"/app/quotes/{nobody.pk}/delete/").status_code == 303
    assert client.get(f"/app/quotes/{nobody.pk}/").status_code == 404
    Quote.objects.filter(pk=draft.pk).update(status="accepted")
    kept = client.post(f"/app/quotes/{draft.pk}/delete/", follow=True)
    assert "An accepted quote cannot be deleted." in kept.content.decode()
    assert Quote.objects.filter(pk=draft.pk).exists()
