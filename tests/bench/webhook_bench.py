"""Benchmark 10: Stripe webhooks applied exactly once, four concurrent senders.

One tenant with its own Stripe keys and open invoices, one payment per invoice opened through
the real gateway against the local fake Stripe (`tests/fixtures/fake_stripe.py`), which then
"pays" each session and hands over the two events Stripe sends (checkout.session.completed and
payment_intent.succeeded). Every event is delivered twice (Stripe delivers at least once),
the whole lot shuffled, so duplicates and out-of-order pairs race each other, by four senders
at once to `/webhooks/stripe/` on uvicorn with several workers. Afterwards each invoice must
hold exactly one payment and each event exactly one row.

Import after django.setup(): this module uses the project's models.
"""

import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.bench.overhead_bench import ServerSpec, uvicorn_server
from tests.bench.report import markdown_table, milliseconds

SLUG = "webhook-bench"
PAYMENTS = 500
SENDERS = 4
DELIVERIES_PER_EVENT = 2
SERVER_WORKERS = 4
WARMUP = 80  # ignored events sent first, untimed
WEBHOOK_PATH = "/webhooks/stripe/"


@dataclass(frozen=True)
class WebhookBenchResult:
    payments: int
    deliveries: int
    events: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    applied_rows: int
    invoice_payments: int
    paid_invoices: int

    @property
    def rate(self) -> float:
        """Distinct events applied per second of the whole run."""
        return self.events / self.seconds

    @property
    def exactly_once(self) -> bool:
        return (self.applied_rows == self.events and self.invoice_payments == self.payments
                and self.paid_invoices == self.payments and set(self.statuses) == {200})


def build_payments(tenant, fake) -> tuple[list[dict], str]:
    """Open invoices, their payments started at the fake, and the fake's events once each
    session is paid. Returns the events and the tenant's webhook secret."""
    from core.stripe_gateway import start_checkout
    from crm_apps.billing import services as billing
    from crm_apps.customers.models import Account
    from crm_apps.payments.models import StripePayment
    from tests.fixtures.fake_stripe import use_own_keys

    events = []
    with tenant_context(tenant), override_settings(STRIPE_API_BASE=fake.url):
        keys = use_own_keys(SLUG)
        account = Account.objects.create(name="Webhook Bench Trading")
        for number in range(PAYMENTS):
            amount = Decimal(100 + number % 50) + Decimal("0.45")
            invoice = billing.create_manual(account=account, currency="CNY", lines=[
                {"description": f"Service {number}", "quantity": Decimal(1),
                 "unit_price": amount, "tax_rate": Decimal(0)}])
            invoice = billing.issue(invoice)
            payment = StripePayment.objects.create(
                purpose="invoices", reference={"invoice_ids": [invoice.pk]},
                amount=invoice.open_amount, currency=invoice.currency)
            start_checkout(payment, line_items=[{"name": invoice.number,
                                                 "amount": invoice.open_amount}],
                           success_url="http://bench.invalid/ok",
                           cancel_url="http://bench.invalid/cancel")
            session_id = StripePayment.objects.get(pk=payment.pk).checkout_session_id
            events += fake.pay(session_id)
    return events, keys["webhook_secret"]


def send_all(port: int, host: str, bodies: list[tuple[bytes, str]]) -> tuple[list, dict]:
    """Deliver ``bodies`` from SENDERS threads, each with its own keep-alive client."""
    latencies, statuses, lock = [], {}, threading.Lock()
    chunks = [bodies[index::SENDERS] for index in range(SENDERS)]

    def sender(chunk):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Host": f"{host}:{port}"}) as client:
            for body, header in chunk:
                started = time.perf_counter()
                response = client.post(WEBHOOK_PATH, content=body, headers={
                    "Stripe-Signature": header, "Content-Type": "application/json"})
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=sender, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def run_webhook_bench(env: dict) -> WebhookBenchResult:
    from crm_apps.billing.models import Invoice, Payment
    from crm_apps.payments.models import StripeEvent
    from tests.bench.provisioning_bench import provision_bench_tenant
    from tests.fixtures.fake_stripe import FakeStripe, make_event, signed_webhook

    tenant = provision_bench_tenant(SLUG, use_spare=False).tenant
    fake = FakeStripe().start()
    try:
        events, secret = build_payments(tenant, fake)
    finally:
        fake.stop()
    connection.set_schema_to_public()
    # Signed when sent would count the signing in the run; Stripe signs on its side.
    deliveries = [signed_webhook(event, secret) for event in events
                  for _copy in range(DELIVERIES_PER_EVENT)]
    random.Random(20261130).shuffle(deliveries)
    # Events of a type we do not handle: verified and answered, nothing stored; they warm up
    # every worker process (imports, connections) before the clock starts.
    warmup = [signed_webhook(make_event("customer.created", {"id": f"cus_{number}"}), secret)
              for number in range(WARMUP)]
    print(f"  {PAYMENTS} payments, {len(events)} events, {len(deliveries)} deliveries "
          f"(untimed set-up done)", flush=True)
    with tempfile.TemporaryDirectory(prefix="crm-bench-webhooks-") as log_dir:
        spec = ServerSpec("webhooks", "Project settings", "tests.bench.tenant_settings",
                          tenant.hostname)
        with uvicorn_server(spec, env, Path(log_dir), workers=SERVER_WORKERS) as server:
            send_all(server.port, tenant.hostname, warmup)
            started = time.perf_counter()
            latencies, statuses = send_all(server.port, tenant.hostname, deliveries)
            seconds = time.perf_counter() - started
    with tenant_context(tenant):
        applied = StripeEvent.objects.filter(applied_at__isnull=False).count()
        invoice_payments = Payment.objects.filter(stripe_payment__isnull=False).count()
        paid = Invoice.objects.filter(status=Invoice.Status.PAID).count()
    return WebhookBenchResult(payments=PAYMENTS, deliveries=len(deliveries),
                              events=len(events), seconds=seconds, latencies=latencies,
                              statuses=statuses, applied_rows=applied,
                              invoice_payments=invoice_payments, paid_invoices=paid)


def webhook_section(result: WebhookBenchResult, run_line: str) -> str:
    ordered = sorted(result.latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    rows = [
        ["Payments (one open invoice each)", f"{result.payments:,}"],
        ["Distinct events (2 per payment)", f"{result.events:,}"],
        ["Deliveries (each event twice, shuffled)", f"{result.deliveries:,}"],
        ["Concurrent senders", str(SENDERS)],
        ["Wall-clock time", f"{result.seconds:.2f} s"],
        ["Events applied per second", f"{result.rate:,.1f}"],
        ["Deliveries answered per second", f"{result.deliveries / result.seconds:,.1f}"],
        ["Delivery latency p50 / p95 / max",
         f"{milliseconds(statistics.median(ordered))} / {milliseconds(percentile(0.95))} / "
         f"{milliseconds(ordered[-1])}"],
        ["Answers", ", ".join(f"{code}: {count:,}" for code, count
                              in sorted(result.statuses.items()))],
        ["Events stored and applied", f"{result.applied_rows:,}"],
        ["Invoice payments recorded", f"{result.invoice_payments:,}"],
        ["Invoices paid", f"{result.paid_invoices:,}"],
    ]
    verdict = "yes" if result.exactly_once else "**no**"
    return f"""## Stripe webhooks applied exactly once

{run_line}

One tenant (`{SLUG}`) with its own Stripe keys and {result.payments:,} open invoices. Each
invoice's payment was opened through `core/stripe_gateway.py` against the local fake Stripe,
which then paid the session and produced the two events Stripe sends
(`checkout.session.completed`, `payment_intent.succeeded`). Every event is delivered
{DELIVERIES_PER_EVENT} times and all deliveries are shuffled, so duplicates and the two events
of one payment race each other; {SENDERS} senders (threads, one keep-alive httpx client each)
post them signed to `{WEBHOOK_PATH}` on `uvicorn core.asgi:application --workers
{SERVER_WORKERS}` on this host. Set-up, signing and {WARMUP} warm-up deliveries (an event type
we ignore) are untimed. Each delivery verifies the
signature over the raw body, stores the event once (unique event id), locks the payment row
and applies the billing applier (one invoice payment) inside that transaction.

{markdown_table(["Measure", "Value"], rows)}

Exactly once (every event stored and applied once, one payment per invoice, every answer
200): {verdict}.
"""
