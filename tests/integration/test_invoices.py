"""Invoices: totals in Decimal (discounts, tax, half-up cents), drafts by hand, from an Oscar
order (a quote's or the store's) and from a contract's billing period, issuing, voiding, the
PDF in English and Chinese, e-mail with the PDF, balance and statement, and portal policy."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from core.accounts import create_user
from core.roles import MANAGER, PORTAL_CUSTOMER, SALES_REP
from crm_apps.billing import services, statements
from crm_apps.billing.errors import AmountError, InvoiceStateError
from crm_apps.billing.mailing import send_invoice
from crm_apps.billing.models import Invoice
from crm_apps.billing.pdf import render_invoice_pdf
from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.quotes import acceptance
from portal import policy
from tests.integration.test_quote_acceptance import make_quote
from tests.integration.test_quote_documents import pdf_text

DAY = datetime.timedelta(days=1)
WIDGETS = {"description": "Widget 小部件", "quantity": Decimal("3"),
           "unit_price": Decimal("19.99"), "discount_percent": Decimal("10"),
           "tax_rate": Decimal("13")}
SETUP = {"description": "Installation", "quantity": Decimal("1"),
         "unit_price": Decimal("100.00"), "tax_rate": Decimal("13")}


@pytest.fixture(name="books")
def books_fixture(in_acme):
    """rep (team North, led by a manager) and rep2 (team South), an account each, a contact
    with an e-mail and a portal login on rep's account."""
    users = get_user_model().objects
    rep = users.get(email="rep@acme.example")
    admin = users.get(email="admin@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    mine = Account.objects.create(name="Initech 环球", owner=rep)
    theirs = Account.objects.create(name="South's", owner=rep2, team=south)
    customer = users.get(email="customer@acme.example")
    buyer = Contact.objects.create(first_name="伟", last_name="张", account=mine, owner=rep,
                                   email="wei@initech.example", portal_user=customer)
    return {"rep": rep, "rep2": rep2, "manager": manager, "admin": admin, "mine": mine,
            "theirs": theirs, "buyer": buyer, "customer": customer}


def draft(books, *, account="mine", lines=None, **fields) -> Invoice:
    """A draft; by default Widgets and Installation with a 5 % invoice discount: 165.29."""
    if lines is None:
        lines = (WIDGETS, SETUP)
        fields.setdefault("discount_percent", Decimal("5"))
    fields.setdefault("contact", books["buyer"] if account == "mine" else None)
    return services.create_manual(account=books[account], lines=list(lines), **fields)


def issued(books, **fields) -> Invoice:
    return services.issue(draft(books, **fields))


def test_totals_with_line_and_invoice_discounts_and_tax_to_the_cent(books):
    invoice = draft(books)
    # By hand: 3 × 19.99 = 59.97; less 10% = 53.973; less 5% = 51.27435 → 51.27 net,
    # 13% tax 6.6651 → 6.67. Installation: 100.00 less 5% = 95.00 net, tax 12.35.
    lines = list(invoice.lines.order_by("position"))
    assert [(line.net_amount, line.tax_amount, line.total_amount) for line in lines] == [
        (Decimal("51.27"), Decimal("6.67"), Decimal("57.94")),
        (Decimal("95.00"), Decimal("12.35"), Decimal("107.35"))]
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (
        Decimal("159.97"), Decimal("13.70"), Decimal("19.02"), Decimal("165.29"))
    assert all(isinstance(value, Decimal) for value in (invoice.total, invoice.tax_total))


def test_half_cents_round_up():
    from crm_apps.billing.totals import money

    assert money(Decimal("0.005")) == Decimal("0.01")
    assert money(Decimal("2.675")) == Decimal("2.68")  # 2.675 as a float would round down
    assert money(Decimal("-0.005")) == Decimal("-0.01")


def test_amounts_never_go_through_float():
    with pytest.raises(AmountError):
        services.as_amount(0.1)
    for bad in ("abc", "0", "-5", "1.005", "NaN", "Infinity", ""):
        with pytest.raises(AmountError):
            services.as_amount(bad)
    assert services.as_amount("12.5") == Decimal("12.50")


def test_a_draft_has_no_number_and_issuing_gives_the_next(books):
    first = draft(books)
    assert (first.number, first.status, first.issue_date) == ("", "draft", None)
    year = services.tenant_today().year
    first = services.issue(first)
    second = issued(books)
    assert first.number.startswith(f"INV-{year}-")
    sequence = int(first.number.rsplit("-", 1)[1])
    assert second.number == f"INV-{year}-{sequence + 1:06d}"
    assert first.status == "open"
    assert first.issue_date == services.tenant_today()
    assert first.due_date == first.issue_date + 30 * DAY
    with pytest.raises(InvoiceStateError):
        services.issue(first)  # issued once
    first.refresh_from_db()
    assert first.number == f"INV-{year}-{sequence:06d}"


def test_a_deleted_draft_leaves_no_gap(books):
    kept = issued(books)
    dropped = draft(books)
    services.delete_draft(dropped)
    following = issued(books)
    assert int(following.number[-6:]) == int(kept.number[-6:]) + 1
    with pytest.raises(InvoiceStateError):
        services.delete_draft(following)


def test_an_invoice_without_lines_is_not_issued(books):
    empty = draft(books, lines=())
    with pytest.raises(InvoiceStateError):
        services.issue(empty)
    empty.refresh_from_db()
    assert (empty.status, empty.number) == ("draft", "")


def test_void_only_without_payments(books):
    plain = issued(books)
    assert services.void(plain).status == "void"
    with pytest.raises(InvoiceStateError):
        services.void(plain)
    paid = issued(books)
    services.record_payment(paid, "10.00", "cash")
    with pytest.raises(InvoiceStateError):
        services.void(paid)
    unnumbered = draft(books)
    assert (services.void(unnumbered).status, unnumbered.number) == ("void", "")
    with pytest.raises(InvoiceStateError):
        services.record_payment(plain, "1.00", "cash")  # void takes no money


def test_an_accepted_quotes_order_becomes_one_invoice_with_the_quotes_lines(books):
    quote = make_quote(account=books["mine"], contact=books["buyer"], owner=books["rep"],
                       language="zh-hans", lines=[dict(WIDGETS), dict(SETUP)],
                       discount_percent=Decimal("5"))
    order = acceptance.accept_quote(quote.pk, "张伟")
    invoice = services.create_from_order(order)
    assert services.create_from_order(order) == invoice  # one per order
    assert (invoice.account, invoice.contact, invoice.order, invoice.language) == (
        books["mine"], books["buyer"], order, "zh-hans")
    assert invoice.total == quote.total == order.total_incl_tax == Decimal("165.29")
    assert invoice.lines.count() == 2


def test_a_store_order_is_invoiced_to_the_account_of_the_customer_who_placed_it(books):
    from oscar.core.loading import get_model

    order_model, line_model = get_model("order", "Order"), get_model("order", "Line")
    order = order_model.objects.create(
        number="S-1001", user=books["customer"], currency="CNY",
        total_incl_tax=Decimal("123.00"), total_excl_tax=Decimal("110.00"),
        shipping_incl_tax=Decimal("10.90"), shipping_excl_tax=Decimal("10.00"),
        date_placed=timezone.now())
    line_model.objects.create(
        order=order, title="Mug", quantity=2, line_price_excl_tax=Decimal("100.00"),
        line_price_incl_tax=Decimal("113.00"),
        line_price_before_discounts_excl_tax=Decimal("100.00"),
        line_price_before_discounts_incl_tax=Decimal("113.00"),
        unit_price_excl_tax=Decimal("50.00"), unit_price_incl_tax=Decimal("56.50"),
        num_allocated=2)
    invoice = services.create_from_order(order)
    assert (invoice.account, invoice.contact) == (books["mine"], books["buyer"])
    assert invoice.total == Decimal("123.90")  # 113.00 + shipping 10.90
    lines = list(invoice.lines.order_by("position").values_list(
        "description", "quantity", "unit_price", "tax_rate"))
    assert lines == [("Mug", Decimal("2.00"), Decimal("50.00"), Decimal("13.00")),
                     ("Shipping", Decimal("1.00"), Decimal("10.00"), Decimal("9.00"))]
    stranger = order_model.objects.create(number="S-1002", guest_email="nobody@example.com",
                                          currency="CNY", total_incl_tax=Decimal("1"),
                                          total_excl_tax=Decimal("1"),
                                          date_placed=timezone.now())
    with pytest.raises(services.BillingError):
        services.create_from_order(stranger)


def test_contract_periods_split_the_value_by_month(books):
    contract = Contract.objects.create(
        name="Support", account=books["mine"], contact=books["buyer"],
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31),
        value=Decimal("1000.00"), billing_period="quarterly", status="active")
    periods = services.billing_periods(contract)
    assert periods == [(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
                       (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)),
                       (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)),
                       (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))]
    assert [services.period_amount(contract, *period) for period in periods] == [
        Decimal("250.00")] * 4
    books["customer"].preferred_language = "zh-hans"
    books["customer"].save()
    first = services.create_for_contract_period(contract, *periods[0])
    assert services.create_for_contract_period(contract, *periods[0]) == first
    assert (first.total, first.period_start, first.period_end, first.currency) == (
        Decimal("250.00"), periods[0][0], periods[0][1], "CNY")
    assert first.language == "zh-hans"  # the contact's portal login reads Chinese
    halves = Contract.objects.create(
        name="Odd", account=books["mine"], start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 1, 10), value=Decimal("100.00"), billing_period="one_off",
        status="active")
    assert services.billing_periods(halves) == [(halves.start, halves.end)]
    assert services.period_amount(halves, datetime.date(2026, 1, 1),
                                  datetime.date(2026, 1, 3)) == Decimal("30.00")


def test_the_pdf_in_english(books):
    invoice = issued(books, notes="Bank: ICBC 6222")
    services.record_payment(invoice, "50.00", "bank_transfer")
    invoice.refresh_from_db()
    data = render_invoice_pdf(invoice, compress=False)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in (invoice.number, "Invoice", "CNY 165.29", "CNY 50.00", "CNY 115.29",
                     "Bank: ICBC 6222", "Total (CNY)", "Amount due", "/portal/invoices/"):
        assert expected in text, expected
    assert "张伟" in text  # Chinese names in the CID font
    assert "小部件" in text
    assert b"/BaseFont /STSong-Light" in data


def test_the_pdf_in_chinese(books):
    invoice = issued(books, language="zh-hans")
    data = render_invoice_pdf(invoice, compress=False)
    assert data.startswith(b"%PDF-")
    assert b"/Encoding /UniGB-UCS2-H" in data
    text = pdf_text(data)
    assert invoice.number in text
    assert "¥165.29" in text
    assert "CNY 165.29" not in text
    assert render_invoice_pdf(invoice).startswith(b"%PDF-")


def test_sending_mails_the_pdf_in_the_invoices_language(books):
    invoice = issued(books, language="zh-hans")
    mail.outbox.clear()
    send_invoice(invoice, by=books["rep"])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wei@initech.example"]
    assert invoice.number in message.subject
    assert "¥165.29" in message.body
    assert "Auto-Submitted" not in message.extra_headers  # a person sent this one
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    with pytest.raises(InvoiceStateError):
        send_invoice(draft(books), by=books["rep"])  # a draft is not sent
    nobody = issued(books, contact=None)
    with pytest.raises(services.BillingError) as refused:
        send_invoice(nobody, by=books["rep"])
    assert refused.value.status == 400


def test_balance_and_statement_agree(books):
    today = services.tenant_today()
    old = services.issue(draft(books, lines=[SETUP]), issue_date=today - 40 * DAY)  # 113.00
    services.record_payment(old, "13.00", "cash",
                            received_at=timezone.now() - 35 * DAY)
    recent = issued(books)  # 165.29
    payment = services.record_payment(recent, "165.29", "bank_transfer", reference="TX-9")
    services.refund(payment, "15.29", reason="Damaged")
    voided = issued(books)
    services.void(voided)
    assert services.balance(books["mine"]) == Decimal("100.00")
    result = statements.statement(books["mine"], today - 10 * DAY, today)
    assert result.opening_balance == Decimal("100.00")  # 113.00 less 13.00 before the range
    assert [(entry.kind, entry.debit, entry.credit) for entry in result.entries] == [
        ("invoice", Decimal("165.29"), Decimal("0")),
        ("payment", Decimal("0"), Decimal("165.29")),
        ("refund", Decimal("15.29"), Decimal("15.29"))]
    assert result.closing_balance == services.balance(books["mine"])
    assert (result.invoiced, result.paid, result.refunded) == (
        Decimal("165.29"), Decimal("165.29"), Decimal("15.29"))
    whole = statements.statement(books["mine"], today - 60 * DAY, today)
    assert whole.opening_balance == 0
    assert whole.closing_balance == Decimal("100.00")


def test_the_portal_sees_issued_invoices_of_its_contact_or_company(books):
    mine = issued(books)
    draft(books)  # never shown
    colleague = Contact.objects.create(first_name="Li", last_name="Na", account=books["mine"],
                                       email="li@initech.example")
    theirs = issued(books, contact=colleague)
    assert list(policy.invoices_for(books["customer"])) == [mine]
    books["buyer"].portal_admin = True
    books["buyer"].save()
    assert set(policy.invoices_for(books["customer"])) == {mine, theirs}
    other = get_user_model().objects.get(email="other@acme.example")
    assert other.groups.filter(name=PORTAL_CUSTOMER).exists()
    assert not policy.invoices_for(other).exists()
    assert not policy.invoices_for(books["rep"]).exists()
