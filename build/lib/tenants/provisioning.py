"""The one provisioning service: a new tenant from a spare clone (or a fresh clone), atomically."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from core.tasks import AUTO_GENERATED, send_email
from core.zones import default_time_zone, is_zone_name
from tenants import hooks
from tenants.cloning import clone_template
from tenants.models import Domain, Plan, PlatformSettings, Tenant
from tenants.slugs import schema_for_slug, validate_slug
from tenants.spares import claim_spare, refill_in_background
from tenants.template import ensure_template_current, verify_matches_template

# Hashing a password takes about half a second by design (PBKDF2); it runs on this pool while
# the database work goes on, since hashlib releases the GIL.
_hasher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hash")


@dataclass
class ProvisionedTenant:
    tenant: Tenant
    admin_email: str
    from_spare: bool
    seconds: float
    admin_user: object = None
    # When no password was chosen: a one-time link where the owner sets one.
    setup_url: str = ""

    @property
    def url(self) -> str:
        return self.tenant.base_url + "/"


def default_plan() -> Plan | None:
    platform = PlatformSettings.load()
    return platform.signup_plan or Plan.objects.order_by("monthly_price").first()


def _validate(slug: str, name: str, owner_email: str, time_zone: str) -> tuple[str, str]:
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
    if not is_zone_name(time_zone):
        raise ValidationError({"time_zone": _("Choose a time zone from the list, such as "
                                              "Asia/Shanghai.")})
    return slug, name


def provision_tenant(*, slug: str, name: str, owner_email: str, plan: Plan | None = None,
                     admin_password: str | None = None, admin_password_hash: str | None = None,
                     owner_first_name: str = "", time_zone: str | None = None,
                     language: str = "en", use_spare: bool = True,
                     refill: bool = True) -> ProvisionedTenant:
    """Create a tenant with its schema, domain, Wagtail site, Oscar defaults and first admin.

    Everything happens in one transaction (PostgreSQL DDL is transactional): a failure at any
    step leaves no schema, no tenant row, no domain, and the spare it took back in the pool.
    The owner's password comes as ``admin_password`` (hashed while the schema work runs) or
    already hashed; without either, the owner gets a one-time link to choose one.
    ``time_zone`` (an IANA name) defaults to the site's ``TIME_ZONE``.
    """
    started = time.perf_counter()
    time_zone = time_zone or default_time_zone()
    slug, name = _validate(slug, name, owner_email, time_zone)
    if admin_password and not admin_password_hash:
        password_hash = _hasher.submit(make_password, admin_password)
    else:
        password_hash = None
    schema = schema_for_slug(slug)

    connection.set_schema_to_public()
    fingerprint = ensure_template_current()
    with transaction.atomic():
        tenant = Tenant.objects.create(
            schema_name=schema, slug=slug, name=name, owner_email=owner_email,
            plan=plan or default_plan(), time_zone=time_zone,
        )
        Domain.objects.create(domain=tenant.hostname, tenant=tenant, is_primary=True)
        from_spare = use_spare and claim_spare(schema, fingerprint)
        if not from_spare:
            clone_template(schema)
        verify_matches_template(schema)
        setup = hooks.TenantSetup(
            tenant=tenant, hostname=tenant.hostname, owner_email=owner_email,
            admin_password_hash=password_hash.result() if password_hash else admin_password_hash,
            owner_first_name=owner_first_name, language=language,
        )
        with tenant_context(tenant):
            hooks.configure_tenant(setup)
        setup_url = setup.admin_setup_url
        if setup_url:
            transaction.on_commit(lambda: _send_welcome(tenant, owner_email, setup_url),
                                  robust=True)  # a mail problem must not fail the sign-up
        if from_spare and refill:
            transaction.on_commit(refill_in_background)
    return ProvisionedTenant(
        tenant=tenant, admin_email=setup.admin_user.email, from_spare=bool(from_spare),
        seconds=time.perf_counter() - started, admin_user=setup.admin_user, setup_url=setup_url,
    )


def _send_welcome(tenant: Tenant, owner_email: str, setup_url: str) -> None:
    """Queue the owner's welcome e-mail as a task of the new tenant (links on its host)."""
    with tenant_context(tenant):
        send_email.delay(
            to=[owner_email],
            subject=_("Your workspace %(name)s is ready") % {"name": tenant.name},
            body=_("Your workspace is at %(url)s.\n\nChoose your password here (the link "
                   "works once):\n%(setup_url)s\n") % {"url": tenant.base_url + "/",
                                                        "setup_url": setup_url},
            headers=AUTO_GENERATED,
        )
