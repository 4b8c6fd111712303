"""Bill pay end to end in a real browser: a customer ticks an open invoice in the portal, pays
on the local fake Stripe's hosted page, Stripe's signed webhooks reach our server, and back on
our confirmation page the invoice reads paid; a second payment whose webhook comes late turns
the page from "confirming" to "paid" and rings the bell live, without a reload."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from crm_apps.billing import services
from crm_apps.billing.models import Invoice, InvoiceSequence
from crm_apps.customers.models import Account, Contact
from crm_apps.payments.models import StripeAccountSettings, StripeEvent, StripePayment
from realtime.models import Notification
from tenants.models import Tenant
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.fake_stripe import FakeStripe, use_own_keys
from tests.fixtures.servers import start_server
from tests.fixtures.world import PASSWORD

EMAIL = "customer@acme.example"
BELL = "#live-bell"


@pytest.fixture
def billing_world(committed, tmp_path):
    """acme with Stripe keys, a contact for the customer's login with two open invoices (in
    committed rows the server sees), the fake Stripe and a server pointed at it."""
    tenant = Tenant.objects.get(slug="acme")
    year = datetime.date.today().year
    with tenant_context(tenant):
        sequence = InvoiceSequence.objects.filter(year=year).values_list("last_number",
                                                                         flat=True).first()
        last_notification = Notification.objects.order_by("-id").values_list(
            "id", flat=True).first() or 0
        keys = use_own_keys("acme")
        user = get_user_model().objects.get(email=EMAIL)
        account = Account.objects.create(name="Harbour Trading 海港贸易")
        contact = Contact.objects.create(first_name="Mei", last_name="Lin", email=EMAIL,
                                         account=account, portal_user=user)
        invoices = [services.issue(services.create_manual(
            account=account, contact=contact, currency="CNY",
            lines=[{"description": description, "quantity": Decimal("1"),
                    "unit_price": Decimal(price), "tax_rate": Decimal("13")}]))
            for description, price in (("Container inspection", "800.00"),
                                       ("Customs filing 报关", "150.00"))]
    fake = FakeStripe().start()
    server = start_server({"STRIPE_API_BASE": fake.url,
                           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "EMAIL_FILE_PATH": str(tmp_path / "mail")})
    base = f"http://acme.localhost:{server.port}"
    fake.webhook_target = (f"{base}/webhooks/stripe/", keys["webhook_secret"])
    yield {"base": base, "fake": fake, "invoices": invoices, "tenant": tenant}
    server.process.terminate()
    server.process.wait(10)
    fake.stop()
    with tenant_context(tenant):
        payments = list(StripePayment.objects.filter(customer_user=user))
        StripeEvent.objects.filter(payment__in=payments).delete()
        for invoice in Invoice.objects.filter(account=account):
            for payment in invoice.payments.all():
                payment.refunds.all().delete()
            invoice.payments.all().delete()
            invoice.lines.all().delete()
            invoice.delete()
        StripePayment.objects.filter(pk__in=[p.pk for p in payments]).delete()
        Notification.objects.filter(id__gt=last_notification).delete()
        contact.delete()
        account.delete()
        StripeAccountSettings.objects.filter(pk=1).delete()
        # Put the number sequence back, so later runs number their invoices as before.
        if sequence is None:
            InvoiceSequence.objects.filter(year=year).delete()
        else:
            InvoiceSequence.objects.filter(year=year).update(last_number=sequence)


def status_of(invoice):
    return f"#invoice-status-{invoice.pk}"


def test_a_customer_pays_an_invoice_on_stripes_page_and_sees_it_paid_live(billing_world,
                                                                            browser):
    base, fake = billing_world["base"], billing_world["fake"]
    first, second = billing_world["invoices"]
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    sign_in(page, base, EMAIL, PASSWORD, portal=True)
    page.goto(f"{base}/portal/invoices/")
    expect(page.locator(status_of(first))).to_have_attribute("data-invoice-status", "open")
    expect(page.locator(f"#invoice-due-{first.pk}")).to_contain_text("904.00")
    screenshot(page, "bill-pay-invoices-en")

    # Pay the first: Stripe's page, its Pay button sends the signed webhooks, then back here.
    page.check(f"#pay-{first.pk}")
    page.click("#pay-selected")
    page.wait_for_url(f"{fake.url}/pay/*")
    expect(page.locator("h1")).to_contain_text("90400 CNY")
    page.click("#pay")
    page.wait_for_url(f"{base}/portal/invoices/paid/*/")
    expect(page.locator("#payment-state")).to_have_attribute("data-payment-state", "confirmed")
    expect(page.locator(status_of(first))).to_have_attribute("data-invoice-status", "paid")
    assert [status for __, status in fake.delivered] == [200, 200]
    screenshot(page, "bill-pay-confirmed-en")
    page.goto(f"{base}/portal/invoices/{first.pk}/")
    expect(page.locator("#invoice-payments")).to_contain_text("Stripe")
    expect(page.locator("#invoice-due")).to_contain_text("0.00")
    screenshot(page, "bill-pay-invoice-detail-en")

    # The second, in Chinese, with Stripe's webhook arriving after the customer is back.
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page.goto(f"{base}/portal/invoices/")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    expect(page.locator(status_of(first))).to_have_attribute("data-invoice-status", "paid")
    screenshot(page, "bill-pay-invoices-zh")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    unread_before = int(page.locator(BELL).get_attribute("data-unread") or 0)
    sessions_before = set(fake.sessions)
    target, fake.webhook_target = fake.webhook_target, None
    page.check(f"#pay-{second.pk}")
    page.click("#pay-selected")
    page.wait_for_url(f"{fake.url}/pay/*")
    page.click("#pay")
    page.wait_for_url(f"{base}/portal/invoices/paid/*/")
    expect(page.locator("#payment-state")).to_have_attribute("data-payment-state",
                                                             "confirming")
    expect(page.locator(status_of(second))).to_have_attribute("data-invoice-status", "open")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    screenshot(page, "bill-pay-confirming-zh")
    page.evaluate("window.__stillTheSamePage = true")

    [session_id] = set(fake.sessions) - sessions_before
    fake.webhook_target = target
    assert fake.deliver(fake.pay(session_id)) == [200, 200]
    expect(page.locator("#payment-state")).to_have_attribute("data-payment-state", "confirmed",
                                                             timeout=15_000)
    expect(page.locator(status_of(second))).to_have_attribute("data-invoice-status", "paid")
    expect(page.locator(BELL)).to_have_attribute("data-unread", str(unread_before + 1),
                                                 timeout=15_000)
    assert page.evaluate("window.__stillTheSamePage === true")
    page.click(f"{BELL} [data-bs-toggle=dropdown]")
    expect(page.locator(f"{BELL} .live-menu")).to_contain_text(second.number)
    screenshot(page, "bill-pay-paid-live-zh")
    page.context.close()
