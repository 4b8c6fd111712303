"""A sales rep works with accounts and contacts in a real browser, in English and Chinese."""

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from crm_apps.customers.models import Account, Contact
from tenants.models import Tenant
from tests.fixtures.browser import screenshot
from tests.fixtures.world import PASSWORD


@pytest.fixture
def acme_pages(live_asgi, committed):
    """acme over the shared server; the accounts and contacts a test adds are removed."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        marks = (Account.everything.order_by("-id").values_list("id", flat=True).first() or 0,
                 Contact.everything.order_by("-id").values_list("id", flat=True).first() or 0)
    yield f"http://acme.localhost:{live_asgi.port}"
    with tenant_context(tenant):
        Contact.everything.filter(id__gt=marks[1]).delete()
        Account.everything.filter(id__gt=marks[0]).delete()


def test_rep_creates_an_account_and_a_contact(acme_pages, page):
    base = acme_pages
    page.goto(f"{base}/app/login/")
    page.fill("#id_username", "rep@acme.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/app/")

    page.get_by_role("link", name="Customers").click()
    page.wait_for_url(f"{base}/app/customers/accounts/")
    page.get_by_role("link", name="New account").first.click()
    page.wait_for_url(f"{base}/app/customers/accounts/new/")
    page.get_by_role("button", name="Create account").click()  # nothing filled in
    expect(page.get_by_text("Give the account a name.")).to_be_visible()
    screenshot(page, "customers-account-form-errors-en")

    page.fill("#id_name", "杭州云计算有限公司")
    page.fill("#id_industry", "Cloud services")
    page.select_option("#id_tier", "gold")
    page.select_option("#id_size", "50-249")
    page.fill("#id_website", "https://www.hz-cloud.example")
    page.fill("#id_city", "Hangzhou")
    page.fill("#id_country", "cn")
    expect(page.locator("#id_owner option:checked")).to_contain_text("rep@acme.example")
    screenshot(page, "customers-account-form-en")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("杭州云计算有限公司")
    expect(page.get_by_role("alert")).to_contain_text("created")

    page.get_by_role("link", name="New contact").click()
    expect(page.locator("#id_account option:checked")).to_have_text("杭州云计算有限公司")
    page.fill("#id_last_name", "王")
    page.fill("#id_first_name", "芳")
    page.fill("#id_email", "wang.fang@hz-cloud.example")
    page.fill("#id_title", "CTO")
    page.select_option("#id_lifecycle_stage", "sql")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("王芳")
    screenshot(page, "customers-contact-detail-en")
    page.locator("dd").get_by_role("link", name="杭州云计算有限公司").click()
    expect(page.get_by_role("link", name="王芳")).to_be_visible()
    screenshot(page, "customers-account-detail-en")

    page.goto(f"{base}/app/customers/contacts/")
    page.fill("#f-q", "王芳")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="王芳")).to_be_visible()
    screenshot(page, "customers-contact-list-en")
    page.goto(f"{base}/app/customers/accounts/")
    expect(page.get_by_role("link", name="杭州云计算有限公司")).to_be_visible()
    screenshot(page, "customers-account-list-en")

    # Delete asks first (a dialog), then the contact is gone from the list.
    page.get_by_role("link", name="Contacts").first.click()
    page.get_by_role("link", name="王芳").click()
    page.get_by_role("link", name="Delete").click()
    dialog = page.locator("#delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_class("modal fade show")
    page.wait_for_timeout(400)  # let the fade-in finish before the picture
    screenshot(page, "customers-delete-dialog-en")
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{base}/app/customers/contacts/")
    expect(page.get_by_role("link", name="王芳")).to_have_count(0)

    try:
        page.select_option("#language", "zh-hans")
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        page.goto(f"{base}/app/customers/accounts/")
        screenshot(page, "customers-account-list-zh")
        page.get_by_role("link", name="杭州云计算有限公司").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("杭州云计算有限公司")
        screenshot(page, "customers-account-detail-zh")
        page.goto(page.url + "edit/")
        screenshot(page, "customers-account-form-zh")
    finally:
        page.select_option("#language", "en")
        page.wait_for_load_state("networkidle")


def test_rep_selects_contacts_for_a_bulk_action(acme_pages, page):
    base = acme_pages
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        from django.contrib.auth import get_user_model

        rep = get_user_model().objects.get(email="rep@acme.example")
        people = [("李", "娜", "CTO", "li.na"), ("王", "芳", "Buyer", "wang.fang"),
                  ("Lovelace", "Ada", "Engineer", "ada")]
        for last, first, title, mailbox in people:
            Contact.objects.create(first_name=first, last_name=last, title=title, owner=rep,
                                   email=f"{mailbox}@bulk.example")
    page.goto(f"{base}/app/login/")
    page.fill("#id_username", "rep@acme.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/app/")
    page.goto(f"{base}/app/customers/contacts/")
    apply = page.locator("#bulk-apply")
    expect(apply).to_be_disabled()
    page.get_by_role("checkbox", name="Select 李娜").check()
    page.get_by_role("checkbox", name="Select 王芳").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    expect(page.locator("#select-page")).to_have_js_property("indeterminate", True)
    page.select_option("#bulk-action", "reassign")
    expect(page.locator("#bulk-owner")).to_be_visible()
    expect(page.locator("#bulk-tag")).to_be_hidden()
    expect(apply).to_be_enabled()
    screenshot(page, "customers-contact-list-bulk-en")
    page.select_option("#bulk-action", "tag")
    expect(page.locator("#bulk-tag")).to_be_visible()
    page.locator("#select-page").check()
    expect(page.locator("#bulk-action option[value=merge]")).to_be_disabled()
    page.set_viewport_size({"width": 390, "height": 844})
    page.select_option("#bulk-action", "reassign")
    screenshot(page, "customers-contact-list-bulk-phone-en")

    # Two ticked rows can be merged: the comparison page, through a real form post.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.get_by_role("button", name="Clear selection").click()
    page.get_by_role("checkbox", name="Select 李娜").check()
    page.get_by_role("checkbox", name="Select 王芳").check()
    page.select_option("#bulk-action", "merge")
    page.locator("#bulk-apply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge duplicates")
    screenshot(page, "customers-contact-merge-en")
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("alert")).to_contain_text("was merged into")
