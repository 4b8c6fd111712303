"""The one provisioning service: a new tenant from a spare clone (or a fresh clone), atomically."""

import secrets
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from tenants import hooks
from tenants.cloning import clone_template
from tenants.models import Domain, Plan, PlatformSettings, Tenant
from tenants.slugs import schema_for_slug, validate_slug
from tenants.spares import claim_spare, refill_in_background
from tenants.template import ensure_template_current, verify_matches_template


@dataclass
class ProvisionedTenant:
    tenant: Tenant
    admin_email: str
    admin_password: str
    from_spare: bool
    seconds: float
    admin_user: object = None

    @property
    def url(self) -> str:
        return self.tenant.base_url + "/"


def default_plan() -> Plan | None:
    platform = PlatformSettings.load()
    return platform.signup_plan or Plan.objects.order_by("monthly_price").first()


def provision_tenant(*, slug: str, name: str, owner_email: str, plan: Plan | None = None,
                     admin_password: str | None = None, owner_first_name: str = "",
                     language: str = "en", use_spare: bool = True,
                     refill: bool = True) -> ProvisionedTenant:
    """Create a tenant with its schema, domain, Wagtail site, Oscar defaults and first admin.

    Everything happens in one transaction (PostgreSQL DDL is transactional): a failure at any
    step leaves no schema, no tenant row, no domain, and the spare it took back in the pool.
    """
    started = time.perf_counter()
    try:
        slug = validate_slug(slug)
    except ValidationError as exc:
        raise ValidationError({"slug": exc.error_list}) from exc
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the company a name.")})
    try:
        validate_email(owner_email)
    except ValidationError as exc:
        raise ValidationError({"owner_email": _("Enter a valid e-mail address.")}) from exc
    password = admin_password or secrets.token_urlsafe(12)
    schema = schema_for_slug(slug)

    connection.set_schema_to_public()
    fingerprint = ensure_template_current()
    with transaction.atomic():
        tenant = Tenant.objects.create(
            schema_name=schema, slug=slug, name=name, owner_email=owner_email,
            plan=plan or default_plan(),
        )
        Domain.objects.create(domain=tenant.hostname, tenant=tenant, is_primary=True)
        from_spare = use_spare and claim_spare(schema, fingerprint)
        if not from_spare:
            clone_template(schema)
        verify_matches_template(schema)
        setup = hooks.TenantSetup(
            tenant=tenant, hostname=tenant.hostname, owner_email=owner_email,
            admin_password=password, owner_first_name=owner_first_name, language=language,
        )
        with tenant_context(tenant):
            hooks.configure_tenant(setup)
        if from_spare and refill:
            transaction.on_commit(refill_in_background)
    return ProvisionedTenant(
        tenant=tenant, admin_email=setup.admin_user.email, admin_password=password,
        from_spare=bool(from_spare), seconds=time.perf_counter() - started,
        admin_user=setup.admin_user,
    )
