"""Host cache invalidation, plan limits on staff users, and the operator's sign-up switch."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from core.accounts import create_user, staff_count
from core.roles import PORTAL_CUSTOMER, SALES_REP
from tenants.models import Domain, PlatformSettings
from tests.fixtures.world import host_client


def test_host_cache_follows_domain_changes(acme):
    assert host_client(acme.host).get("/").status_code == 200  # cached now
    domain = Domain.objects.get(domain=acme.host)
    domain.domain = "acme-renamed.localhost"
    domain.save()
    assert host_client(acme.host).get("/").status_code == 404
    assert host_client("acme-renamed.localhost").get("/").status_code == 200


def test_a_new_domain_is_not_hidden_by_a_cached_miss(acme):
    assert host_client("shop.acme.localhost").get("/").status_code == 404  # a cached miss
    Domain.objects.create(domain="shop.acme.localhost", tenant=acme.tenant, is_primary=False)
    assert host_client("shop.acme.localhost").get("/").status_code == 200


def test_plan_limits_staff_users_but_not_customers(acme):
    limit = acme.tenant.plan.max_staff_users
    with tenant_context(acme.tenant):
        for index in range(limit - staff_count()):
            create_user(email=f"s{index}@acme.example", password=None, role=SALES_REP)
        with pytest.raises(ValidationError, match="allows 5 staff users"):
            create_user(email="one-too-many@acme.example", password=None, role=SALES_REP)
        create_user(email="buyer@acme.example", password=None, role=PORTAL_CUSTOMER)


def test_duplicate_user_and_unknown_role_are_refused(acme):
    with tenant_context(acme.tenant):
        with pytest.raises(ValidationError, match="already exists"):
            create_user(email=acme.rep_email.upper(), password=None, role=SALES_REP)
        with pytest.raises(ValidationError, match="Unknown role"):
            create_user(email="x@acme.example", password=None, role="wizard")


def test_operator_switches_public_signup_on_and_off(db):
    console = host_client("localhost", email="operator@example.com",
                          login_path="/operator/login/")
    console.post("/operator/settings/", {"signup_enabled": "on"})
    assert PlatformSettings.load().signup_enabled
    assert host_client("localhost").get("/signup/").status_code == 200
    console.post("/operator/settings/", {})
    assert not PlatformSettings.load().signup_enabled
    assert host_client("localhost").get("/signup/").status_code == 404
