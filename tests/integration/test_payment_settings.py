"""The tenant admin's payments page: own keys stored encrypted (the raw column never holds
them), shown only by their last four characters (page, audit trail, logs), Connect account
ids claimed by one workspace only and mirrored in the public routing table, and a clear
message when Stripe is not set up."""

import logging

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from crm_apps.payments import secrets
from crm_apps.payments.models import StripeAccountSettings
from tenants.models import ConnectedAccount
from tests.fixtures.world import signed_in

PAGE = "/app/settings/payments/"
KEYS = {"mode": "own_keys", "secret_key": "sk_test_51AcmeSecretKeyABCD",
        "publishable_key": "pk_test_51AcmePublishableWXYZ",
        "webhook_secret": "whsec_AcmeSigningSecret9876", "connected_account_id": ""}


@pytest.fixture
def admin(acme):
    return signed_in(acme.host, acme.admin_email)


@pytest.fixture
def platform(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_platform_0001"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform_0001"


def raw_columns(tenant) -> tuple:
    """What the database itself holds, without the model's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT secret_key, publishable_key, webhook_secret FROM '
                       f'"{tenant.schema_name}".payments_stripeaccountsettings WHERE id = 1')
        return cursor.fetchone()


def keep_schema(client_call):
    before = connection.tenant
    try:
        return client_call()
    finally:
        connection.set_tenant(before)


def test_only_tenant_admins_see_the_page(acme):
    rep = signed_in(acme.host, acme.rep_email)
    assert rep.get(PAGE).status_code == 403
    assert rep.post(PAGE, KEYS).status_code == 403


def test_a_tenant_without_stripe_sees_a_clear_message(admin):
    response = admin.get(PAGE)
    assert response.status_code == 200
    assert "Stripe is not set up" in response.content.decode()
    assert 'href="/app/settings/payments/"' in response.content.decode()   # in the tabs


def test_keys_are_stored_encrypted_and_shown_only_by_their_last_four(admin, acme, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin.post(PAGE, KEYS)
    assert response.status_code == 302

    columns = raw_columns(acme.tenant)
    for name, stored in zip(["secret_key", "publishable_key", "webhook_secret"], columns,
                            strict=True):
        assert KEYS[name] not in stored
        assert KEYS[name][-4:] not in stored
        assert secrets.decrypt(stored) == KEYS[name]
    with tenant_context(acme.tenant):
        row = StripeAccountSettings.current()
        assert (row.secret_key, row.webhook_secret) == (KEYS["secret_key"],
                                                        KEYS["webhook_secret"])
        assert row.is_configured
        entry = AuditEntry.objects.get(record_type="payments.stripeaccountsettings")
        assert entry.changes["secret_key"] == ["", "…ABCD"]

    page = admin.get(PAGE).content.decode()
    for shown in ("…ABCD", "…WXYZ", "…9876"):
        assert shown in page
    assert "Stripe is not set up" not in page
    everything = page + str(entry.changes) + caplog.text
    for value in (KEYS["secret_key"], KEYS["publishable_key"], KEYS["webhook_secret"]):
        assert value not in everything
        assert value[:-4] not in everything


def test_an_empty_key_field_keeps_the_saved_key(admin, acme):
    admin.post(PAGE, KEYS)
    response = admin.post(PAGE, {**KEYS, "secret_key": "", "publishable_key": "",
                                 "webhook_secret": "whsec_Replaced0000"})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        row = StripeAccountSettings.current()
        assert row.secret_key == KEYS["secret_key"]
        assert row.webhook_secret == "whsec_Replaced0000"


@pytest.mark.parametrize(("data", "field"), [
    ({"secret_key": "pk_test_wrongKind"}, "secret_key"),
    ({"webhook_secret": "not-a-secret"}, "webhook_secret"),
    ({"secret_key": ""}, "secret_key"),
    ({"mode": "bitcoin"}, "mode"),
])
def test_wrong_keys_are_refused_with_a_form_error(admin, acme, data, field):
    response = admin.post(PAGE, {**KEYS, **data})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    # What was typed is not sent back either.
    assert KEYS["webhook_secret"] not in response.content.decode()
    assert KEYS["publishable_key"] not in response.content.decode()
    with tenant_context(acme.tenant):
        assert not StripeAccountSettings.objects.exists()


def test_connect_needs_a_platform_that_offers_it(admin, acme, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = admin.post(PAGE, {"mode": "connect", "connected_account_id": "acct_1AcmeAbc"})
    assert response.status_code == 400
    assert "mode" in response.context["form"].errors
    assert not ConnectedAccount.objects.exists()


def test_a_connected_account_is_routed_to_one_workspace_only(acme, globex, platform):
    admin_a = signed_in(acme.host, acme.admin_email)
    admin_b = signed_in(globex.host, globex.admin_email)
    response = keep_schema(lambda: admin_a.post(
        PAGE, {"mode": "connect", "connected_account_id": "acct_1SharedAccount"}))
    assert response.status_code == 302
    assert ConnectedAccount.objects.get().tenant == acme.tenant

    response = keep_schema(lambda: admin_b.post(
        PAGE, {"mode": "connect", "connected_account_id": "acct_1SharedAccount"}))
    assert response.status_code == 400
    assert "already connected to another workspace" in response.content.decode()
    assert ConnectedAccount.objects.get().tenant == acme.tenant

    # A new account replaces acme's old one; going back to own keys releases it.
    keep_schema(lambda: admin_a.post(
        PAGE, {"mode": "connect", "connected_account_id": "acct_1AcmeSecondAcct"}))
    assert list(ConnectedAccount.objects.values_list("account_id", flat=True)) == [
        "acct_1AcmeSecondAcct"]
    with tenant_context(acme.tenant):
        assert StripeAccountSettings.current().is_configured
    keep_schema(lambda: admin_a.post(PAGE, KEYS))
    assert not ConnectedAccount.objects.exists()
    response = keep_schema(lambda: admin_b.post(
        PAGE, {"mode": "connect", "connected_account_id": "acct_1AcmeSecondAcct"}))
    assert response.status_code == 302
    assert ConnectedAccount.objects.get().tenant == globex.tenant


def test_a_malformed_account_id_is_refused(admin, platform):
    response = admin.post(PAGE, {"mode": "connect", "connected_account_id": "acct_; DROP"})
    assert response.status_code == 400
    assert "connected_account_id" in response.context["form"].errors


def test_removing_stripe_forgets_the_keys_and_the_routing(acme, platform):
    admin = signed_in(acme.host, acme.admin_email)
    keep_schema(lambda: admin.post(PAGE, {"mode": "connect",
                                          "connected_account_id": "acct_1AcmeRemoved"}))
    keep_schema(lambda: admin.post(PAGE, {"action": "remove"}))
    assert not ConnectedAccount.objects.exists()
    with tenant_context(acme.tenant):
        assert not StripeAccountSettings.objects.exists()
    assert "Stripe is not set up" in keep_schema(lambda: admin.get(PAGE)).content.decode()


def test_a_dedicated_encryption_key_encrypts_and_the_derived_one_still_decrypts(monkeypatch):
    from cryptography.fernet import Fernet

    old = secrets.encrypt("sk_test_before")
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode())
    new = secrets.encrypt("sk_test_after")
    assert secrets.decrypt(old) == "sk_test_before"
    assert secrets.decrypt(new) == "sk_test_after"
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY")
    with pytest.raises(secrets.UnreadableSecret):
        secrets.decrypt(new)
    assert secrets.last4("sk_test_after") == "…fter"


def test_an_admin_sets_up_stripe_in_a_browser(committed, live_asgi, page):
    """The real page over a real server: the warning, the keys typed once, then only their
    last four characters."""
    from tenants.models import Tenant
    from tests.fixtures.browser import screenshot, sign_in
    from tests.fixtures.world import PASSWORD

    acme = Tenant.objects.get(slug="acme")
    base = f"http://acme.localhost:{live_asgi.port}"
    try:
        sign_in(page, base, "admin@acme.example", PASSWORD)
        page.goto(f"{base}{PAGE}")
        assert "Stripe is not set up" in page.locator("#stripe-status").inner_text()
        page.check("input[name=mode][value=own_keys]")
        for name in ("secret_key", "publishable_key", "webhook_secret"):
            page.fill(f"#id_{name}", KEYS[name])
        page.locator("main button[type=submit]").first.click()
        page.wait_for_url(f"{base}{PAGE}")
        text = page.locator("main").inner_text()
        assert "…ABCD" in text
        assert KEYS["secret_key"] not in page.content()
        assert page.input_value("#id_secret_key") == ""
        screenshot(page, "payment-settings")
    finally:
        with tenant_context(acme):
            StripeAccountSettings.objects.all().delete()
            AuditEntry.objects.filter(record_type="payments.stripeaccountsettings").delete()
