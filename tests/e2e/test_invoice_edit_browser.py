"""A draft invoice edited in a real browser: the admin opens the draft from its page, changes a
line and the currency on the same form that made it, in Chinese, and sees the new total."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from crm_apps.billing import services
from crm_apps.billing.models import Invoice
from crm_apps.customers.models import Account
from tenants.models import Tenant
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.servers import start_server
from tests.fixtures.world import PASSWORD


@pytest.fixture
def draft_world(committed):
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        account = Account.objects.create(name="Lakeside Foods 湖畔食品")
        invoice = services.create_manual(account=account, currency="CNY", lines=[
            {"description": "Cold storage 冷库", "quantity": Decimal("2"),
             "unit_price": Decimal("300.00"), "tax_rate": Decimal("13")}])
    server = start_server({})
    yield {"base": f"http://acme.localhost:{server.port}", "invoice": invoice}
    server.process.terminate()
    server.process.wait(10)
    with tenant_context(tenant):
        Invoice.objects.filter(account=account).delete()
        account.delete()


def test_an_admin_edits_a_draft_in_chinese(draft_world, browser):
    base, invoice = draft_world["base"], draft_world["invoice"]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "admin@acme.example", PASSWORD)
    # After signing in: the sign-in applies the admin's saved language.
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page.goto(f"{base}/app/billing/{invoice.pk}/")
    page.click(f"a[href='/app/billing/{invoice.pk}/edit/']")
    expect(page.locator("h1")).to_have_text("编辑草稿发票")
    expect(page.locator("#id_lines-0-description")).to_have_value("Cold storage 冷库")
    page.fill("#id_lines-0-quantity", "3")
    page.fill("#id_currency", "usd")
    screenshot(page, "invoice-edit-zh")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/app/billing/{invoice.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("草稿发票已保存")
    screenshot(page, "invoice-edited-zh")
    expect(page.locator("main")).to_contain_text("1017.00 USD")
    with tenant_context(Tenant.objects.get(slug="acme")):
        invoice.refresh_from_db()
    assert (invoice.currency, invoice.total) == ("USD", Decimal("1017.00"))
    page.context.close()
