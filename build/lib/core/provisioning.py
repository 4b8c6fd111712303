"""Core's provisioning hooks: roles in the template, the first tenant admin in each new tenant."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.models import Site as DjangoSite
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.accounts import create_user
from core.roles import ALL_ROLES, ROLE_PERMISSIONS, TENANT_ADMIN


def _permissions_for(codes):
    if "*" in codes:
        return Permission.objects.all()
    pairs = [code.split(".", 1) for code in codes]
    perms = []
    for app_label, codename in pairs:
        perms.extend(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return perms


def seed_template() -> None:
    """Create the role groups with their permissions (idempotent, runs on every migrate)."""
    for code in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=code)
        group.permissions.set(_permissions_for(ROLE_PERMISSIONS[code]))


def configure_tenant(ctx) -> None:
    """Point django.contrib.sites at the tenant host and create its first admin."""
    DjangoSite.objects.update_or_create(
        pk=1, defaults={"domain": ctx.hostname, "name": ctx.tenant.name}
    )
    ctx.admin_user = create_user(
        email=ctx.owner_email, password=None, password_hash=ctx.admin_password_hash,
        role=TENANT_ADMIN,
        first_name=ctx.owner_first_name, language=ctx.language,
    )
    if ctx.admin_password_hash is None:
        ctx.admin_setup_url = ctx.tenant.base_url + password_setup_path(ctx.admin_user)


def password_setup_path(user) -> str:
    """Path of the one-time page where ``user`` chooses a password (Django's reset token:
    it dies once the password changes)."""
    # Tenant URLs, even when provisioning runs in a request to the operator host.
    return reverse("backoffice:set-password", urlconf=settings.ROOT_URLCONF, kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user)})


DEMO_STAFF = [
    ("manager", "Mei", "Chen", "manager"),
    ("sales", "Li", "Na", "sales_rep"),
    ("service", "Sam", "Okafor", "service_agent"),
    ("marketing", "Zhang", "Wei", "marketer"),
]


def load_demo(setup) -> None:
    """Demo colleagues for each role and one portal customer, with documented passwords."""
    slug = setup.tenant.slug
    for local, first, last, role in DEMO_STAFF:
        create_user(email=f"{local}@{slug}.example", password=f"{local}-demo", role=role,
                    first_name=first, last_name=last)
    create_user(email=f"customer@{slug}.example", password="customer-demo",
                role="portal_customer", first_name="Wang", last_name="Fang", language="zh-hans")
