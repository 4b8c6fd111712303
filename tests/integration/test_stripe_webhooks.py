"""Stripe's webhooks at /webhooks/stripe/: signature and age checked over the raw body (400 and
no effect otherwise), each event applied once (ten deliveries, in sequence or at the same
moment), any order ending in the same state, tenant isolation and Connect routing, and the
hosted checkout page paying end to end over real sockets."""

import itertools
import threading
import time
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from core.stripe_gateway import refund, start_checkout
from crm_apps.payments import appliers, events
from crm_apps.payments.models import StripeAccountSettings, StripeEvent, StripePayment
from tenants.models import ConnectedAccount, Tenant
from tests.fixtures.fake_stripe import make_event, signed_webhook, use_connect, use_own_keys

URL = "/webhooks/stripe/"
Status = StripePayment.Status


@pytest.fixture
def observed():
    """A test applier for "invoices" recording each call (and whether the event row is
    already written in the same transaction when it runs)."""
    calls = []

    def recorder(kind):
        def callback(payment, event):
            calls.append(SimpleNamespace(
                kind=kind, payment=str(payment.pk), event=event["id"],
                status=payment.status, in_transaction=connection.in_atomic_block,
                event_stored=StripeEvent.objects.filter(event_id=event["id"]).exists()))
        return callback

    saved = dict(appliers._appliers)
    appliers.register("invoices", succeeded=recorder("succeeded"), failed=recorder("failed"),
                      refunded=recorder("refunded"))
    yield calls
    appliers._appliers.clear()
    appliers._appliers.update(saved)


def deliver(host: str, event: dict | None, secret: str, *, body: bytes | None = None,
            header: str | None = None, timestamp: int | None = None, client=None):
    """POST an event as Stripe would; the caller's schema is kept (the request switches it)."""
    if body is None:
        body, signed = signed_webhook(event, secret, timestamp=timestamp)
        header = signed if header is None else header
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    before = getattr(connection, "tenant", None)
    try:
        return (client or Client(HTTP_HOST=host)).post(URL, body,
                                                        content_type="application/json",
                                                        **extra)
    finally:
        if before is not None:
            connection.set_tenant(before)
        else:
            connection.set_schema_to_public()


def new_payment(amount="122.34") -> StripePayment:
    payment = StripePayment.objects.create(purpose="invoices", amount=Decimal(amount),
                                           currency="USD", reference={"invoice_ids": [7]})
    start_checkout(payment, line_items=[{"name": "Invoice", "amount": Decimal(amount)}],
                   success_url="http://acme.localhost/portal/paid/",
                   cancel_url="http://acme.localhost/portal/invoices/")
    payment.refresh_from_db()
    return payment


@pytest.fixture
def paid(in_acme, fake_stripe, observed):
    """acme with its own keys, a payment whose customer has just paid on Stripe's page: the
    two events Stripe sends (not yet delivered)."""
    keys = use_own_keys()
    payment = new_payment()
    completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
    return SimpleNamespace(payment=payment, secret=keys["webhook_secret"], host=in_acme.host,
                           completed=completed, succeeded=succeeded, calls=observed,
                           fake=fake_stripe)


def state(payment: StripePayment):
    payment.refresh_from_db()
    return payment.status, payment.amount_refunded, payment.payment_intent_id


def test_a_payment_is_applied_once_inside_the_event_transaction(paid):
    for event in (paid.completed, paid.succeeded):
        response = deliver(paid.host, event, paid.secret)
        assert response.status_code == 200, response.content

    assert state(paid.payment)[0] == Status.SUCCEEDED
    assert paid.payment.payment_intent_id == paid.succeeded["data"]["object"]["id"]
    [call] = paid.calls
    assert (call.kind, call.payment, call.event) == ("succeeded", str(paid.payment.pk),
                                                     paid.completed["id"])
    assert call.in_transaction
    assert call.event_stored
    events = StripeEvent.objects.order_by("received_at")
    assert [(e.type, e.outcome) for e in events] == [
        ("checkout.session.completed", "succeeded"),
        ("payment_intent.succeeded", "kept succeeded")]
    assert all(e.applied_at and e.payment_id == paid.payment.pk for e in events)


@pytest.mark.parametrize("how", ["wrong secret", "tampered body", "no header",
                                 "garbage header", "no signature of our scheme"])
def test_a_bad_signature_is_400_with_no_effect(paid, how):
    body, header = signed_webhook(paid.completed, paid.secret)
    if how == "wrong secret":
        body, header = signed_webhook(paid.completed, "whsec_somebody_else")
    elif how == "tampered body":
        body = body.replace(b'"payment_status": "paid"', b'"payment_status": "paid" ')
    elif how == "no header":
        header = ""
    elif how == "garbage header":
        header = "this is not a signature"
    else:
        header = header.replace("v1=", "v0=")
    response = deliver(paid.host, None, paid.secret, body=body, header=header)

    assert response.status_code == 400
    assert state(paid.payment)[0] == Status.PENDING
    assert not StripeEvent.objects.exists()
    assert paid.calls == []


def test_a_stale_event_is_400_and_a_recent_one_is_accepted(paid):
    now = int(time.time())
    response = deliver(paid.host, paid.completed, paid.secret, timestamp=now - 301)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert state(paid.payment)[0] == Status.PENDING

    response = deliver(paid.host, paid.completed, paid.secret, timestamp=now - 200)
    assert response.status_code == 200
    assert state(paid.payment)[0] == Status.SUCCEEDED


@pytest.mark.parametrize("body", [b"not json at all", b"[1, 2]", b'"text"', b"{}",
                                  b'{"id": "evt_1", "type": "checkout.session.completed"}',
                                  b'{"id": "evt_1", "type": "x", "data": {"object": []}}',
                                  b"\xff\xfe\x00"])
def test_a_malformed_body_is_400_even_when_signed(paid, body):
    import stripe

    timestamp = int(time.time())
    payload = body.decode("utf-8", errors="replace")
    header = stripe.WebhookSignature.generate_signature_header(payload, paid.secret,
                                                               timestamp=timestamp)
    response = deliver(paid.host, None, paid.secret, body=body, header=header)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_other_methods_and_unconfigured_tenants_are_refused(paid, globex):
    assert Client(HTTP_HOST=paid.host).get(URL).status_code == 405
    # globex has no Stripe: nothing can be verified there.
    response = deliver(globex.host, paid.completed, paid.secret)
    assert response.status_code == 400


def test_the_same_event_ten_times_in_a_row_applies_once(paid):
    outcomes = [deliver(paid.host, paid.completed, paid.secret).json()["outcome"]
                for _ in range(10)]

    assert outcomes == ["succeeded"] + ["duplicate"] * 9
    assert StripeEvent.objects.count() == 1
    assert [call.kind for call in paid.calls] == ["succeeded"]


def test_success_before_the_session_completes_still_ends_paid(paid):
    assert deliver(paid.host, paid.succeeded, paid.secret).json()["outcome"] == "succeeded"
    assert deliver(paid.host, paid.completed, paid.secret).json()["outcome"] == (
        "kept succeeded")

    status, _refunded, intent = state(paid.payment)
    assert status == Status.SUCCEEDED
    assert intent == paid.succeeded["data"]["object"]["id"]
    assert paid.payment.checkout_session_id == paid.completed["data"]["object"]["id"]
    assert [call.event for call in paid.calls] == [paid.succeeded["id"]]


def test_a_late_failure_or_expiry_never_undoes_a_success(paid):
    intent = dict(paid.succeeded["data"]["object"], status="requires_payment_method")
    failed = make_event("payment_intent.payment_failed", intent)
    expired = paid.fake.expire(paid.payment.checkout_session_id)
    for event in (paid.completed, failed, expired):
        assert deliver(paid.host, event, paid.secret).status_code == 200

    assert state(paid.payment)[0] == Status.SUCCEEDED
    assert [call.kind for call in paid.calls] == ["succeeded"]


def test_a_declined_card_then_another_card_that_works_ends_paid(paid):
    declined = paid.fake.decline(paid.payment.checkout_session_id)
    assert deliver(paid.host, declined, paid.secret).json()["outcome"] == "failed"
    assert state(paid.payment)[0] == Status.FAILED
    for event in (paid.completed, paid.succeeded):
        deliver(paid.host, event, paid.secret)

    assert state(paid.payment)[0] == Status.SUCCEEDED
    assert [call.kind for call in paid.calls] == ["failed", "succeeded"]


def test_an_abandoned_checkout_is_canceled(in_acme, fake_stripe, observed):
    keys = use_own_keys()
    payment = new_payment()
    expired = fake_stripe.expire(payment.checkout_session_id)
    assert deliver(in_acme.host, expired, keys["webhook_secret"]).json()["outcome"] == (
        "canceled")
    assert state(payment)[0] == Status.CANCELED
    assert [call.kind for call in observed] == ["failed"]


def test_refunds_partial_then_full(paid):
    deliver(paid.host, paid.completed, paid.secret)
    deliver(paid.host, paid.succeeded, paid.secret)
    first = refund(paid.payment, Decimal("22.34"), key_suffix="one")
    deliver(paid.host, paid.fake.refund_event(first), paid.secret)
    assert state(paid.payment)[:2] == (Status.PARTIALLY_REFUNDED, Decimal("22.34"))

    second = refund(paid.payment, Decimal("100.00"), key_suffix="two")
    deliver(paid.host, paid.fake.refund_event(second), paid.secret)
    assert state(paid.payment)[:2] == (Status.REFUNDED, Decimal("122.34"))
    assert [call.kind for call in paid.calls] == ["succeeded", "refunded", "refunded"]


def test_every_order_of_delivery_ends_in_the_same_state(in_acme, fake_stripe, observed):
    """Payment completed, its intent succeeded, a partial refund: all six orders of the three
    events end like the order Stripe sent them in, with each applier called once."""
    keys = use_own_keys()
    outcomes = set()
    for order in itertools.permutations(range(3)):
        payment = new_payment()
        completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
        # No event yet: the gateway learns the payment intent from the session.
        refunded = fake_stripe.refund_event(refund(payment, Decimal("2.34"),
                                                   key_suffix="partial"))
        events = [completed, succeeded, refunded]
        observed.clear()
        for index in order:
            response = deliver(in_acme.host, events[index], keys["webhook_secret"])
            assert response.json()["outcome"] != "no matching payment"
        outcomes.add((state(payment)[:2], tuple(sorted(call.kind for call in observed))))

    assert outcomes == {((Status.PARTIALLY_REFUNDED, Decimal("2.34")),
                         ("refunded", "succeeded"))}


def test_a_dashboard_refund_before_the_checkout_events_waits_for_them(
        in_acme, fake_stripe, observed):
    """A refund made in Stripe's dashboard names only the payment intent, which we learn from
    the checkout's events: arriving first, it is kept and applied once they come."""
    keys = use_own_keys()
    payment = new_payment()
    completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
    intent = succeeded["data"]["object"]["id"]
    dashboard_refund = make_event("charge.refunded", {
        "id": "ch_test_dashboard", "object": "charge", "payment_intent": intent,
        "amount": 12234, "amount_refunded": 1000, "refunded": False, "currency": "usd",
        "metadata": {}})

    assert (deliver(in_acme.host, dashboard_refund, keys["webhook_secret"]).json()["outcome"]
            == events.WAITING)
    assert deliver(in_acme.host, dashboard_refund,
                   keys["webhook_secret"]).json()["outcome"] == "duplicate"
    assert state(payment)[:2] == (Status.PENDING, Decimal("0.00"))
    assert observed == []

    deliver(in_acme.host, completed, keys["webhook_secret"])
    deliver(in_acme.host, succeeded, keys["webhook_secret"])

    assert state(payment)[:2] == (Status.PARTIALLY_REFUNDED, Decimal("10.00"))
    assert sorted(call.kind for call in observed) == ["refunded", "succeeded"]
    parked = StripeEvent.objects.get(event_id=dashboard_refund["id"])
    assert parked.payment_id == payment.pk
    assert parked.applied_at is not None


def test_a_refund_of_a_payment_intent_nobody_here_knows_stays_parked(paid):
    foreign = make_event("charge.refunded", {
        "id": "ch_test_foreign", "object": "charge", "payment_intent": "pi_test_foreign",
        "amount": 500, "amount_refunded": 500, "refunded": True, "currency": "usd"})
    assert deliver(paid.host, foreign, paid.secret).json()["outcome"] == events.WAITING
    for event in (paid.completed, paid.succeeded):
        deliver(paid.host, event, paid.secret)
    assert StripeEvent.objects.get(event_id=foreign["id"]).applied_at is None
    assert state(paid.payment)[:2] == (Status.SUCCEEDED, Decimal("0.00"))


def test_an_event_for_no_payment_here_or_of_another_type_changes_nothing(paid):
    stranger = make_event("payment_intent.succeeded", {
        "id": "pi_test_unknown", "object": "payment_intent", "amount": 100,
        "amount_received": 100, "currency": "usd",
        "metadata": {"stripe_payment": "3b0cbfa4-4a8e-4f0b-9d44-0e5f36b7a9e2"}})
    bogus = make_event("payment_intent.succeeded", {
        "id": "pi_test_bogus", "object": "payment_intent", "metadata": {"stripe_payment": "x"}})
    other = make_event("customer.created", {"id": "cus_1", "object": "customer"})

    assert deliver(paid.host, stranger, paid.secret).json()["outcome"] == "no matching payment"
    assert deliver(paid.host, bogus, paid.secret).json()["outcome"] == "no matching payment"
    assert deliver(paid.host, other, paid.secret).json()["outcome"] == "ignored"
    assert not StripeEvent.objects.exists()
    assert state(paid.payment)[0] == Status.PENDING


def test_an_amount_that_does_not_match_ours_is_not_applied(paid):
    session = dict(paid.completed["data"]["object"], amount_total=100)
    wrong = make_event("checkout.session.completed", session)
    assert deliver(paid.host, wrong, paid.secret).json()["outcome"] == "amount mismatch"
    assert state(paid.payment)[0] == Status.PENDING
    assert paid.calls == []


def test_tenant_a_event_on_tenant_b_endpoint_has_no_effect(paid, globex):
    with tenant_context(globex.tenant):
        use_own_keys("globex")
    # B's secret differs: the signature fails.
    assert deliver(globex.host, paid.completed, paid.secret).status_code == 400

    # Even signed with B's own secret, A's payment is not in B's schema.
    with tenant_context(globex.tenant):
        row = StripeAccountSettings.current()
        row.webhook_secret = paid.secret
        row.save()
    response = deliver(globex.host, paid.completed, paid.secret)
    assert response.status_code == 200
    assert response.json()["outcome"] == "no matching payment"
    with tenant_context(globex.tenant):
        assert not StripeEvent.objects.exists()
    assert state(paid.payment)[0] == Status.PENDING
    assert paid.calls == []


@pytest.fixture
def platform(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_platform_0001"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform_0001"
    return settings.STRIPE_WEBHOOK_SECRET


def test_connect_events_are_applied_only_in_the_account_tenant(acme, globex, fake_stripe,
                                                               observed, platform):
    with tenant_context(globex.tenant):
        use_connect(globex.tenant, "acct_1GlobexConnected")
    with tenant_context(acme.tenant):
        use_connect(acme.tenant, "acct_1AcmeConnected")
        payment = new_payment()
    completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
    assert completed["account"] == "acct_1AcmeConnected"

    # The platform's secret verifies everywhere; the account says whose event it is.
    response = deliver(globex.host, completed, platform)
    assert response.json()["outcome"] == "not for this workspace"
    unrouted = make_event("checkout.session.completed", completed["data"]["object"])
    strange = make_event("checkout.session.completed", completed["data"]["object"],
                         account="acct_1GlobexConnected")
    with tenant_context(acme.tenant):
        assert deliver(acme.host, unrouted, platform).json()["outcome"] == (
            "not for this workspace")
        assert deliver(acme.host, strange, platform).json()["outcome"] == (
            "not for this workspace")
        assert state(payment)[0] == Status.PENDING
        assert not StripeEvent.objects.exists()

        assert deliver(acme.host, completed, platform).json()["outcome"] == "succeeded"
        assert StripeEvent.objects.get().account == "acct_1AcmeConnected"
    with tenant_context(globex.tenant):
        assert not StripeEvent.objects.exists()
    assert [call.kind for call in observed] == ["succeeded"]


def test_the_platform_endpoint_routes_connect_events_to_their_tenant(acme, globex, fake_stripe,
                                                                   observed, platform):
    """Connect's single endpoint on the public host: the event's account picks the schema."""
    with tenant_context(globex.tenant):
        use_connect(globex.tenant, "acct_1GlobexConnected")
    with tenant_context(acme.tenant):
        use_connect(acme.tenant, "acct_1AcmeConnected")
        payment = new_payment()
    completed, _succeeded = fake_stripe.pay(payment.checkout_session_id)
    unknown = make_event("checkout.session.completed", completed["data"]["object"],
                         account="acct_1NobodyConnected")

    assert deliver("localhost", completed, "whsec_wrong").status_code == 400
    assert deliver("localhost", unknown, platform).json()["outcome"] == (
        "no workspace for this account")
    assert deliver("localhost", completed, platform).json()["outcome"] == "succeeded"
    assert deliver("localhost", completed, platform).json()["outcome"] == "duplicate"
    with tenant_context(acme.tenant):
        assert state(payment)[0] == Status.SUCCEEDED
        assert StripeEvent.objects.count() == 1
    with tenant_context(globex.tenant):
        assert not StripeEvent.objects.exists()
    assert [call.kind for call in observed] == ["succeeded"]


def test_an_own_keys_tenant_ignores_connect_events(paid):
    routed = make_event("checkout.session.completed", paid.completed["data"]["object"],
                        account="acct_1AcmeConnected")
    assert deliver(paid.host, routed, paid.secret).json()["outcome"] == "not for this workspace"
    assert state(paid.payment)[0] == Status.PENDING


# --- committed rows: concurrent deliveries and real sockets ------------------------------

@pytest.fixture
def committed_acme(committed, observed):
    """acme with its own keys, committed (other threads and processes see it); everything
    payments wrote there is removed afterwards."""
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        keys = use_own_keys()
    yield SimpleNamespace(tenant=acme, host=acme.hostname, secret=keys["webhook_secret"],
                          calls=observed)
    with tenant_context(acme):
        StripeEvent.objects.all().delete()
        StripePayment.objects.all().delete()
        StripeAccountSettings.objects.all().delete()
    ConnectedAccount.objects.filter(tenant=acme).delete()


def test_ten_deliveries_at_the_same_moment_apply_once(committed_acme, fake_stripe):
    """Ten connections deliver the session's completion and the intent's success (five each)
    at once: one success applied, two events stored, every answer 200."""
    with tenant_context(committed_acme.tenant):
        payment = new_payment()
    completed, succeeded = fake_stripe.pay(payment.checkout_session_id)
    barrier = threading.Barrier(10)
    answers, failures = [], []

    def send(event):
        try:
            client = Client(HTTP_HOST=committed_acme.host)
            body, header = signed_webhook(event, committed_acme.secret)
            barrier.wait(timeout=10)
            response = client.post(URL, body, content_type="application/json",
                                   HTTP_STRIPE_SIGNATURE=header)
            answers.append((response.status_code, response.json()["outcome"]))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(completed if n % 2 else succeeded,))
               for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(answers) == 10
    assert {code for code, _ in answers} == {200}
    assert [outcome for _, outcome in answers].count("succeeded") == 1
    with tenant_context(committed_acme.tenant):
        assert StripeEvent.objects.count() == 2
        assert state(payment)[0] == Status.SUCCEEDED
    assert [call.kind for call in committed_acme.calls] == ["succeeded"]
    assert committed_acme.calls[0].in_transaction
    assert committed_acme.calls[0].event_stored


def test_the_hosted_page_pays_and_the_webhook_arrives_over_real_sockets(
        committed_acme, live_asgi_stripe, stripe_fake_server, settings):
    """The browser's path without the browser: Stripe's page, Pay, the signed events to our
    server (another process, its gateway pointed at the same fake), then the redirect to the
    success page."""
    fake = stripe_fake_server
    fake.reset()
    settings.STRIPE_API_BASE = fake.url
    with tenant_context(committed_acme.tenant):
        payment = new_payment()
    fake.webhook_target = (f"http://acme.localhost:{live_asgi_stripe.port}{URL}",
                           committed_acme.secret)
    page = httpx.get(f"{fake.url}/pay/{payment.checkout_session_id}")
    assert page.status_code == 200
    assert "id='pay'" in page.text

    response = httpx.post(f"{fake.url}/pay/{payment.checkout_session_id}")
    assert response.status_code == 303
    assert response.headers["location"] == "http://acme.localhost/portal/paid/"
    assert [status for _event, status in fake.delivered] == [200, 200]
    with tenant_context(committed_acme.tenant):
        assert state(payment)[0] == Status.SUCCEEDED
        assert StripeEvent.objects.filter(applied_at__isnull=False).count() == 2
