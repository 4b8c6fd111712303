"""What people see: operator console, back office, portal and home page in a real browser."""

from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from tests.fixtures.world import PASSWORD


def _login(page, url, email):
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_operator_sees_the_fleet(live_asgi, page, acme):
    base = f"http://localhost:{live_asgi.port}"
    _login(page, f"{base}/operator/login/", "operator@example.com")
    page.wait_for_url(f"{base}/operator/")
    assert page.locator("td", has_text="Acme Corporation").count() == 1
    assert page.locator("td", has_text="Globex 环球").count() == 1
    screenshot(page, "operator-console")


def test_staff_back_office_in_english_and_chinese(live_asgi, page, acme):
    base = f"http://acme.localhost:{live_asgi.port}"
    _login(page, f"{base}/app/login/", acme.admin_email)
    page.wait_for_url(f"{base}/app/")
    assert page.get_by_text("Your team").is_visible()
    screenshot(page, "backoffice-en")
    page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    try:
        assert page.get_by_text("您的团队").is_visible()
        screenshot(page, "backoffice-zh")
    finally:  # the choice is saved on the shared admin: later tests expect English
        page.select_option("#language", "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")


def test_customer_portal_and_site(live_asgi, page, acme):
    base = f"http://acme.localhost:{live_asgi.port}"
    page.goto(f"{base}/")
    assert page.get_by_role("heading", name="Acme Corporation").is_visible()
    screenshot(page, "site-home")
    _login(page, f"{base}/portal/login/", acme.customer_email)
    page.wait_for_url(f"{base}/portal/")
    screenshot(page, "portal-home")
    # The session is host-only: globex does not know this customer.
    page.goto(f"http://globex.localhost:{live_asgi.port}/portal/")
    assert "/portal/login/" in page.url
