"""Periodic invoice jobs: overdue marking, reminders once per step (1, 7, 30 days), contract
billing periods once per period (also from two workers at once), the beat schedule, and tenant
isolation of every job."""

import datetime
import threading
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from crm_apps.billing import services, tasks
from crm_apps.billing.models import Invoice, InvoiceSequence
from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account
from tests.integration.test_invoices import books_fixture, draft, issued  # noqa: F401

DAY = datetime.timedelta(days=1)


def overdue_since(books, days: int, **fields) -> Invoice:
    today = services.tenant_today()
    return services.issue(draft(books, due_date=today - days * DAY, **fields),
                          issue_date=today - (days + 30) * DAY)


def test_invoices_past_due_become_overdue_and_others_stay(books):
    today = services.tenant_today()
    late = services.issue(draft(books, due_date=today - DAY))
    assert late.status == "overdue"  # issued already late
    Invoice.objects.filter(pk=late.pk).update(status="open")
    on_time = services.issue(draft(books, due_date=today))
    partly = services.issue(draft(books, due_date=today + DAY))
    services.record_payment(partly, "10.00", "cash")
    Invoice.objects.filter(pk=partly.pk).update(due_date=today - DAY)
    paid = issued(books)
    services.record_payment(paid, paid.total, "cash")
    Invoice.objects.filter(pk=paid.pk).update(due_date=today - DAY)
    assert services.mark_overdue() == 2
    assert services.mark_overdue() == 0
    statuses = dict(Invoice.objects.filter(pk__in=[late.pk, on_time.pk, partly.pk, paid.pk])
                    .values_list("pk", "status"))
    assert statuses == {late.pk: "overdue", on_time.pk: "open", partly.pk: "overdue",
                        paid.pk: "paid"}
    # Paid in full later, an overdue invoice is paid.
    partly.refresh_from_db()
    services.record_payment(partly, partly.open_amount, "cash")
    partly.refresh_from_db()
    assert partly.status == "paid"


def test_reminders_go_out_once_per_step(books):
    invoice = overdue_since(books, 1)
    today = services.tenant_today()
    mail.outbox.clear()
    assert services.send_reminders(today) == 1
    assert services.send_reminders(today) == 0
    assert services.send_reminders(today + 5 * DAY) == 0  # 6 days: still step 1
    assert services.send_reminders(today + 6 * DAY) == 1  # 7 days
    assert services.send_reminders(today + 6 * DAY) == 0
    assert services.send_reminders(today + 29 * DAY) == 1  # 30 days
    assert services.send_reminders(today + 90 * DAY) == 0  # no step after 30
    assert len(mail.outbox) == 3
    message = mail.outbox[0]
    assert message.to == ["wei@initech.example"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert invoice.number in message.subject
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    invoice.refresh_from_db()
    assert invoice.reminder_step == 30


def test_a_long_overdue_invoice_gets_one_reminder_not_every_step(books):
    overdue_since(books, 40)
    mail.outbox.clear()
    assert services.send_reminders() == 1
    assert services.send_reminders() == 0
    assert len(mail.outbox) == 1


def test_reminders_skip_paid_and_contactless_invoices(books):
    paid = overdue_since(books, 3)
    services.record_payment(paid, paid.total, "cash")
    nobody = overdue_since(books, 3, contact=None)
    mail.outbox.clear()
    assert services.send_reminders() == 0
    assert mail.outbox == []
    nobody.refresh_from_db()
    assert nobody.reminder_step == 1  # claimed, so it is not tried on every run


def test_the_overdue_task_marks_then_reminds(books):
    invoice = services.issue(draft(books, due_date=services.tenant_today() + DAY))
    Invoice.objects.filter(pk=invoice.pk).update(
        due_date=services.tenant_today() - 2 * DAY)
    mail.outbox.clear()
    assert tasks.run_overdue() == {"marked": 1, "reminded": 1}
    assert tasks.run_overdue() == {"marked": 0, "reminded": 0}


def contract(books, **fields) -> Contract:
    today = services.tenant_today()
    values = {"name": "Support", "account": books["mine"], "contact": books["buyer"],
              "start": today.replace(day=1) - datetime.timedelta(days=60),
              "value": Decimal("1200.00"), "billing_period": "monthly", "status": "active"}
    values.update(fields)
    values.setdefault("end", values["start"] + datetime.timedelta(days=364))
    return Contract.objects.create(**values)


def test_contract_periods_are_invoiced_once_each(books):
    monthly = contract(books)
    contract(books, name="Not yet", start=services.tenant_today() + 5 * DAY)
    contract(books, name="Draft", status="draft")
    mail.outbox.clear()
    made = services.bill_contract_periods()
    begun = [period for period in services.billing_periods(monthly)
             if period[0] <= services.tenant_today()]
    assert made == len(begun) >= 3
    assert services.bill_contract_periods() == 0
    invoices = Invoice.objects.filter(contract=monthly).order_by("period_start")
    assert [(invoice.period_start, invoice.period_end) for invoice in invoices] == begun
    assert all(invoice.number and invoice.status in ("open", "overdue") for invoice in invoices)
    assert len(mail.outbox) == made
    assert all(message.extra_headers.get("Auto-Submitted") == "auto-generated"
               for message in mail.outbox)
    assert Invoice.objects.filter(contract__name__in=["Not yet", "Draft"]).count() == 0
    assert tasks.bill_contract_periods() == 0


def test_two_workers_at_once_bill_each_period_once(committed):
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        today = services.tenant_today()
        year = today.year
        before = (InvoiceSequence.objects.filter(year=year)
                  .values_list("last_number", flat=True).first() or 0)
        account = Account.objects.create(name="Billing at once")
        row = Contract.objects.create(
            name="Concurrent", account=account, start=today - 40 * DAY,
            end=today + 300 * DAY, value=Decimal("340.00"), billing_period="monthly",
            status="active")
    barrier = threading.Barrier(2)
    results, failures = [], []

    def run():
        try:
            with tenant_context(acme):
                barrier.wait(timeout=10)
                results.append(services.bill_contract_periods(today))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with tenant_context(acme):
        try:
            assert failures == []
            made = Invoice.objects.filter(contract=row).count()
            assert made == 2
            assert sum(results) == 2
            assert len({number for number in Invoice.objects.filter(contract=row)
                        .values_list("number", flat=True)}) == 2
        finally:
            Invoice.objects.filter(account=account).delete()
            AuditEntry.objects.filter(record_type__in=["customers.account", "contracts.contract"],
                                      record_id__in=[str(account.pk), str(row.pk)]).delete()
            Contract.everything.filter(pk=row.pk).delete()
            account.delete()
            InvoiceSequence.objects.filter(year=year).update(last_number=before)


def test_the_jobs_are_scheduled_for_every_tenant():
    for name in ("crm_apps.billing.tasks.bill_contract_periods",
                 "crm_apps.billing.tasks.run_overdue"):
        entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
                   if entry["task"] == name]
        assert len(entries) == 1, name
        assert "tenant_schemas" not in entries[0]  # fanned out to every tenant


def test_jobs_of_globex_never_touch_acme(books, globex):
    late = overdue_since(books, 8)
    Invoice.objects.filter(pk=late.pk).update(status="open")
    contract(books)
    mail.outbox.clear()
    with tenant_context(globex.tenant):
        assert services.mark_overdue() == 0
        assert services.send_reminders() == 0
        assert services.bill_contract_periods() == 0
    late.refresh_from_db()
    assert (late.status, late.reminder_step) == ("open", 0)
    assert not Invoice.objects.filter(contract__isnull=False).exists()
    assert mail.outbox == []
