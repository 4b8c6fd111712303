"""SLA clocks in a real browser: a tenant admin adds a make-up working Saturday on the holidays
page (in Chinese), an agent puts a ticket on "pending customer" and its clocks show as paused;
and a portal login without a customer record gets a clear page, not an error."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from core.accounts import create_user
from core.roles import PORTAL_CUSTOMER
from crm_apps.service import sla
from crm_apps.service.models import Holiday, SlaPolicy, Ticket
from tenants.models import Tenant
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.servers import start_server
from tests.fixtures.world import PASSWORD

MAKE_UP_DAY = datetime.date(2026, 12, 5)  # a Saturday
LOST_LOGIN = "no-record@acme.example"


@pytest.fixture
def desk(committed):
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        policy = SlaPolicy.objects.create(name="Browser normal", priority="normal",
                                          first_response_minutes=120, resolution_minutes=480)
        ticket = Ticket.objects.create(subject="Scanner offline", created=timezone.now())
        sla.apply_policy(ticket)
        create_user(email=LOST_LOGIN, password=PASSWORD, role=PORTAL_CUSTOMER,
                    language="zh-hans")
    server = start_server()
    yield {"base": f"http://acme.localhost:{server.port}", "tenant": tenant, "ticket": ticket}
    server.process.terminate()
    server.process.wait(10)
    with tenant_context(tenant):
        Ticket.everything.filter(pk=ticket.pk).delete()
        policy.delete()
        Holiday.objects.filter(date=MAKE_UP_DAY).delete()
        get_user_model().objects.filter(email=LOST_LOGIN).delete()


def staff_page(browser, base: str, language: str = "en"):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    sign_in(page, base, "admin@acme.example", PASSWORD)
    # The sign-in set the admin's saved language; this page is read in ``language``.
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return page


def test_a_make_up_day_and_a_paused_clock_as_staff_see_them(desk, browser):
    base = desk["base"]
    admin = staff_page(browser, base, "zh-hans")
    admin.goto(f"{base}/app/settings/service/holidays/")
    admin.fill("#id_date", MAKE_UP_DAY.isoformat())
    admin.fill("#id_name", "国庆调休")
    admin.check("#id_working_day")
    admin.locator("main form button[type=submit]").last.click()
    expect(admin.locator("main")).to_contain_text("国庆调休")
    expect(admin.locator("main")).to_contain_text("调休上班")
    screenshot(admin, "service-holidays-make-up-day-zh")
    with tenant_context(desk["tenant"]):
        assert Holiday.objects.get(date=MAKE_UP_DAY).working_day is True

    agent = staff_page(browser, base)
    ticket = desk["ticket"]
    agent.goto(f"{base}/app/service/{ticket.pk}/")
    expect(agent.locator('[data-sla="paused"]')).to_have_count(0)
    agent.select_option("#id_status", "pending")
    agent.locator("#ticket-controls button[type=submit]").click()
    expect(agent.locator('[data-sla="paused"]')).to_have_count(2)
    expect(agent.locator("main")).to_contain_text("paused")
    screenshot(agent, "service-ticket-clocks-paused")
    with tenant_context(desk["tenant"]):
        ticket.refresh_from_db()
        assert ticket.status == "pending"
        assert ticket.sla_paused_at is not None
    agent.context.close()
    admin.context.close()


def test_a_portal_login_without_a_customer_record_gets_a_clear_page(desk, browser):
    base = desk["base"]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, base, LOST_LOGIN, PASSWORD, portal=True)
    # The saved language applies from the sign-in on, whatever the browser asks for.
    page.goto(f"{base}/portal/profile/")
    expect(page.locator("main")).to_contain_text("您的登录账号未关联客户记录")
    page.goto(f"{base}/portal/tickets/")
    expect(page.locator("main")).to_contain_text("您的登录账号未关联客户记录")
    screenshot(page, "portal-login-without-record-zh-390")
    context.close()
