"""A sales rep logs a call on a new contact in a real browser and finds it on the timelines,
then looks at "My day" and the calendar, on a desktop and on a phone."""

import re

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from crm_apps.activities.models import Activity, CalendarFeed
from crm_apps.customers.models import Account, Contact
from tenants.models import Tenant
from tests.fixtures.browser import screenshot
from tests.fixtures.world import PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def acme_pages(live_asgi, committed):
    """acme over the shared server; the records and activities a test adds are removed."""
    tenant = Tenant.objects.get(slug="acme")

    def last_id(model):
        return model.everything.order_by("-id").values_list("id", flat=True).first() or 0

    with tenant_context(tenant):
        marks = (last_id(Account), last_id(Contact), last_id(Activity))
        feeds = CalendarFeed.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield f"http://acme.localhost:{live_asgi.port}"
    with tenant_context(tenant):
        CalendarFeed.objects.filter(id__gt=feeds).delete()
        Activity.everything.filter(id__gt=marks[2]).delete()
        Contact.everything.filter(id__gt=marks[1]).delete()
        Account.everything.filter(id__gt=marks[0]).delete()


def no_sideways_scroll(page):
    """Nothing on the page is wider than the window (a phone must not scroll sideways)."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the window"


def test_rep_logs_a_call_and_sees_it_on_the_timelines(acme_pages, page):
    base = acme_pages
    page.goto(f"{base}/app/login/")
    page.fill("#id_username", "rep@acme.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/app/")

    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New account").first.click()
    page.fill("#id_name", "苏州精密制造有限公司")
    page.fill("#id_city", "Suzhou")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("苏州精密制造有限公司")
    account_url = page.url
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Nothing on the timeline yet.")

    page.get_by_role("link", name="New contact").click()
    page.fill("#id_last_name", "李")
    page.fill("#id_first_name", "娜")
    page.fill("#id_email", "li.na@sz-precision.example")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("李娜")
    contact_url = page.url

    timeline.get_by_role("link", name="Log call").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a call")
    expect(page.locator("#id_contact option:checked")).to_contain_text("李娜")
    expect(page.locator("#id_account option:checked")).to_have_text("苏州精密制造有限公司")
    page.get_by_role("button", name="Save").click()  # nothing filled in
    expect(page.get_by_text("Give it a subject.")).to_be_visible()
    page.fill("#id_duration_minutes", "-3")
    screenshot(page, "activities-call-form-errors-en")
    page.fill("#id_subject", "首次电话沟通")
    page.select_option("#id_direction", "outbound")
    page.fill("#id_duration_minutes", "15")
    page.fill("#id_outcome", "Wants a demo next week")
    page.fill("#id_body", "Asked about the 2030 price list and delivery to Suzhou.")
    screenshot(page, "activities-call-form-en")
    page.get_by_role("button", name="Save").click()

    page.wait_for_url(contact_url)
    expect(page.get_by_role("alert")).to_contain_text("saved")
    item = timeline.get_by_role("link", name="首次电话沟通")
    expect(item).to_be_visible()
    expect(timeline).to_contain_text("15 min")
    expect(timeline).to_contain_text("Wants a demo next week")
    screenshot(page, "activities-contact-timeline-en")

    page.goto(account_url)
    expect(timeline.get_by_role("link", name="首次电话沟通")).to_be_visible()
    screenshot(page, "activities-account-timeline-en")
    timeline.get_by_role("link", name="首次电话沟通").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("首次电话沟通")
    expect(page.locator("dl")).to_contain_text("15 minutes")
    screenshot(page, "activities-call-detail-en")

    # A task for today, then "My day" marks it done in one click.
    page.goto(contact_url)
    timeline.get_by_role("link", name="New task").click()
    page.fill("#id_subject", "Send the demo invitation")
    due = page.evaluate("""() => { const d = new Date(); d.setHours(17, 0, 0, 0);
        const p = n => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T17:00`; }""")
    page.fill("#id_due", due)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(contact_url)
    timeline.get_by_role("link", name="Schedule meeting").click()
    page.fill("#id_subject", "产品演示")
    page.fill("#id_start", due.replace("T17:00", "T10:00"))
    page.fill("#id_end", due.replace("T17:00", "T09:00"))
    page.fill("#id_place", "苏州工业园区")
    page.get_by_label("admin@acme.example").check()
    expect(page.locator("#id_contact_attendees option:checked")).to_contain_text("李娜")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The meeting must end after it starts.")).to_be_visible()
    page.fill("#id_end", due.replace("T17:00", "T11:30"))
    screenshot(page, "activities-meeting-form-en")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(contact_url)
    expect(timeline.get_by_role("link", name="产品演示")).to_be_visible()
    page.get_by_role("link", name="My day").first.click()
    meetings = page.locator("section", has=page.locator("#meetings-heading"))
    expect(meetings).to_contain_text("产品演示")
    expect(meetings).to_contain_text("苏州工业园区")
    task_row = page.locator("li", has_text="Send the demo invitation")
    expect(task_row).to_be_visible()
    screenshot(page, "activities-my-day-en")
    task_row.get_by_role("button", name=re.compile("Mark .* done")).click()
    expect(page.get_by_role("alert")).to_contain_text("done")
    page.get_by_role("link", name="Calendar").first.click()
    expect(page.locator(".cal-grid")).to_contain_text("Send the demo invitation")
    screenshot(page, "activities-calendar-week-en")
    page.get_by_role("link", name="Month").click()
    screenshot(page, "activities-calendar-month-en")
    page.get_by_role("link", name="Calendar feed").click()
    page.get_by_role("button", name="Make my calendar address").click()
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/calendar/[\w-]+\.ics$"))
    screenshot(page, "activities-calendar-feed-en")

    # An e-mail from the contact's page lands on its timeline.
    page.goto(contact_url)
    timeline.get_by_role("link", name="Send e-mail").click()
    expect(page.get_by_role("note")).to_contain_text("has not agreed to marketing e-mail")
    page.fill("#id_subject", "演示邀请")
    page.fill("#id_body", "李女士您好，\n下周二上午十点为您演示。")
    screenshot(page, "activities-email-compose-en")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(contact_url)
    expect(page.get_by_role("alert")).to_contain_text("li.na@sz-precision.example")
    expect(timeline.get_by_role("link", name="演示邀请")).to_be_visible()
    screenshot(page, "activities-contact-timeline-email-en")

    # The same pages on a phone: one column, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    for name, url in (("contact", contact_url), ("account", account_url),
                      ("my-day", f"{base}/app/activities/today/"),
                      ("calendar", f"{base}/app/activities/calendar/")):
        page.goto(url)
        no_sideways_scroll(page)
        screenshot(page, f"activities-{name}-phone-en")
    expect(page.locator(".d-md-none")).to_contain_text("Send the demo invitation")
