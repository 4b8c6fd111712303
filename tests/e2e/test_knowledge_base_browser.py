"""A customer on a 390 px phone searches the help centre, reads an article in Chinese and votes."""

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from cms.models import FaqCategoryPage
from cms.provisioning import load_demo_articles
from tenants.models import Tenant
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.world import PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def help_site(live_asgi, committed):
    """acme with the demo FAQ published; removed afterwards."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        load_demo_articles()
    yield f"http://acme.localhost:{live_asgi.port}"
    with tenant_context(tenant):
        for category in FaqCategoryPage.objects.all():
            category.delete()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_customer_reads_the_help_centre_on_a_phone(help_site, browser):
    base = help_site
    context = browser.new_context(viewport=PHONE, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-hans"})
    page = context.new_page()
    sign_in(page, base, "customer@acme.example", PASSWORD, portal=True)

    page.goto(f"{base}/portal/help/")
    expect(page.get_by_role("link", name="如何申请退款？")).to_be_visible()
    page.fill("#help-q", "退款")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator("#help-results")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "help-portal-search-390-zh")

    page.locator(".list-group").get_by_role("link", name="如何申请退款？").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("如何申请退款？")
    page.locator("button[name=helpful][value=yes]").click()
    expect(page.locator("[data-count=yes]")).to_have_text("1")
    assert no_sideways_scroll(page)
    screenshot(page, "help-portal-article-390-zh")

    page.goto(f"{base}/help/orders-and-refunds/how-do-i-get-a-refund/")
    expect(page.get_by_role("heading", level=1)).to_have_text("如何申请退款？")
    assert no_sideways_scroll(page)
    screenshot(page, "help-site-article-390-zh")
    context.close()
