"""The service desk end to end in a real browser: a customer registers in the portal, opens a
ticket with an attachment, an agent replies in the back office, and the reply appears live on
the customer's open ticket page without a reload."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from crm_apps.customers.models import Account, Contact
from crm_apps.service.models import Ticket
from tenants.models import Tenant
from tests.fixtures.browser import screenshot
from tests.fixtures.servers import start_server
from tests.fixtures.world import PASSWORD

EMAIL = "mei.lin@harbour-trading.example"
NEW_PASSWORD = "Harbour-portal-2026"  # noqa: S105 - a test password
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def desk(committed, tmp_path):
    """A server writing its mail to files, and acme's contact Mei Lin (no login yet)."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        account = Account.objects.create(name="Harbour Trading")
        contact = Contact.objects.create(first_name="Mei", last_name="Lin", email=EMAIL,
                                         account=account)
    mail_dir = tmp_path / "mail"
    server = start_server({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "EMAIL_FILE_PATH": str(mail_dir)})
    yield {"base": f"http://acme.localhost:{server.port}", "mail": mail_dir,
           "contact": contact, "tenant": tenant}
    server.process.terminate()
    server.process.wait(10)
    with tenant_context(tenant):
        Ticket.everything.filter(contact=contact).delete()
        get_user_model().objects.filter(email=EMAIL).delete()
        contact.delete()
        account.delete()


def verification_link(mail_dir: Path, base: str) -> str:
    text = "\n".join(path.read_text() for path in sorted(mail_dir.glob("*.log")))
    # Long lines of a quoted-printable body are folded with "=" at the line end.
    text = text.replace("=\n", "").replace("=3D", "=")
    match = re.search(r"https?://[^\s\"<>]+/portal/register/verify/[^\s\"<>]+/", text)
    assert match, text[:2000]
    return base + match.group(0)[match.group(0).index("/portal/"):]


def test_a_customer_registers_opens_a_ticket_and_sees_the_agents_reply_live(desk, browser):
    base = desk["base"]
    customer = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    customer.goto(f"{base}/portal/register/")
    customer.fill("#id_email", EMAIL)
    customer.fill("#id_password1", NEW_PASSWORD)
    customer.fill("#id_password2", NEW_PASSWORD)
    customer.get_by_role("button", name="Register").click()
    expect(customer.locator("main")).to_contain_text(EMAIL)

    customer.goto(verification_link(desk["mail"], base))
    customer.fill("#id_password", NEW_PASSWORD)
    customer.get_by_role("button", name="Confirm").click()
    customer.wait_for_url(f"{base}/portal/")
    with tenant_context(desk["tenant"]):
        desk["contact"].refresh_from_db()
        assert desk["contact"].portal_user.email == EMAIL  # linked to the existing contact

    customer.goto(f"{base}/portal/tickets/new/")
    customer.fill("#id_subject", "Delivery arrived damaged")
    customer.fill("#id_description", "Two of the ten chairs have broken legs. Photo attached.")
    customer.set_input_files("#id_attachments", files=[
        {"name": "chair.png", "mimeType": "image/png", "buffer": PNG}])
    customer.locator("#ticket-form").get_by_role("button", name="Send").click()
    customer.wait_for_url(re.compile(r".*/portal/tickets/\d+/$"))
    expect(customer.locator("main")).to_contain_text("chair.png")
    expect(customer.locator("body")).to_have_attribute("data-live", "open")
    ticket_id = int(customer.url.rstrip("/").rsplit("/", 1)[1])
    # A marker on the window: it survives only if the page is never reloaded.
    customer.evaluate("window.__stillTheSamePage = true")

    agent = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    agent.goto(f"{base}/app/login/")
    agent.fill("#id_username", "admin@acme.example")
    agent.fill("#id_password", PASSWORD)
    agent.click("button[type=submit]")
    agent.wait_for_url(f"{base}/app/")
    agent.goto(f"{base}/app/service/{ticket_id}/")
    expect(agent.locator("main")).to_contain_text("Delivery arrived damaged")
    expect(agent.locator("main")).to_contain_text("chair.png")
    agent.fill("#id_body", "Sorry about that, Mei. Two new chairs ship today.")
    agent.locator("#reply-form button[type=submit]").click()
    expect(agent.locator("main")).to_contain_text("Two new chairs ship today")

    expect(customer.locator("main")).to_contain_text("Two new chairs ship today",
                                                     timeout=15_000)
    assert customer.evaluate("window.__stillTheSamePage === true")
    screenshot(customer, "service-desk-customer-sees-reply-390")
    agent.context.close()
    customer.context.close()
