"""Invoice numbers under concurrency: issued from many connections at once, on committed rows,
the numbers run on without a gap or a repeat, and a rolled-back issue gives its number back."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from crm_apps.billing import services
from crm_apps.billing.models import Invoice, InvoiceSequence
from crm_apps.customers.models import Account

WORKERS = 8
LINE = {"description": "Support", "quantity": Decimal("1"), "unit_price": Decimal("10.00")}


class RolledBack(Exception):
    pass


def test_issuing_at_once_from_many_connections_numbers_without_gap_or_repeat(committed):
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        year = services.tenant_today().year
        before = (InvoiceSequence.objects.filter(year=year)
                  .values_list("last_number", flat=True).first() or 0)
        account = Account.objects.create(name="Numbering at once")
        drafts = [services.create_manual(account=account, lines=[LINE]).pk
                  for _ in range(WORKERS + 1)]
    barrier = threading.Barrier(WORKERS + 1)
    numbers, failures = [], []

    def run(pk, roll_back=False):
        try:
            with tenant_context(acme):
                barrier.wait(timeout=10)
                if roll_back:  # takes a number, then the transaction fails
                    with transaction.atomic():
                        services.issue(Invoice.objects.get(pk=pk))
                        raise RolledBack
                numbers.append(services.issue(Invoice.objects.get(pk=pk)).number)
        except RolledBack:
            pass
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk, index == 0))
               for index, pk in enumerate(drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with tenant_context(acme):
        try:
            assert failures == []
            assert len(numbers) == WORKERS
            expected = [f"INV-{year}-{before + index:06d}" for index in range(1, WORKERS + 1)]
            assert sorted(numbers) == expected  # no gap, no repeat
            assert InvoiceSequence.objects.get(year=year).last_number == before + WORKERS
            rolled_back = Invoice.objects.get(pk=drafts[0])
            assert (rolled_back.status, rolled_back.number) == ("draft", "")
            # Issued now, it takes the next number: still no gap.
            assert services.issue(rolled_back).number == f"INV-{year}-{before + WORKERS + 1:06d}"
        finally:
            Invoice.objects.filter(account=account).delete()
            AuditEntry.objects.filter(record_type="customers.account",
                                      record_id=str(account.pk)).delete()
            account.delete()
            InvoiceSequence.objects.filter(year=year).update(last_number=before)


@pytest.mark.django_db
def test_numbers_restart_each_year(in_acme):
    import datetime

    account = Account.objects.create(name="Years")
    last = services.issue(services.create_manual(account=account, lines=[LINE]),
                          issue_date=datetime.date(2031, 12, 31))
    first = services.issue(services.create_manual(account=account, lines=[LINE]),
                           issue_date=datetime.date(2032, 1, 1))
    assert last.number == "INV-2031-000001"
    assert first.number == "INV-2032-000001"
