"""Set up a database: migrated schemas, public host, operator, demo tenants, spare pool."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command
from django.db import transaction
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants import hooks
from tenants.models import Domain, Plan, Tenant
from tenants.provisioning import provision_tenant
from tenants.spares import fill_pool

OPERATOR_EMAIL, OPERATOR_PASSWORD = "operator@example.com", "operator-demo"
DEMO_TENANTS = [("acme", "Acme Corporation", "growth"), ("globex", "Globex 环球", "enterprise")]


def ensure_public_tenant() -> Tenant:
    public, _ = Tenant.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"slug": "public", "name": "Platform", "owner_email": OPERATOR_EMAIL},
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN,
                                 defaults={"tenant": public, "is_primary": True})
    return public


class Command(BaseCommand):
    help = "Migrate, create the public host and, with --demo, the operator and demo tenants."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Create demo logins and tenants.")
        parser.add_argument("--no-pool", action="store_true", help="Do not fill the spare pool.")

    def handle(self, *args, demo=False, no_pool=False, verbosity=1, **options):
        # Only the schemas behind, several at a time, waiting for any other run: this is
        # the release step of every deployment (the image's migrate role), and a fleet of
        # 1,000 tenants spends about 17 minutes in migrate_schemas with nothing to apply.
        call_command("migrate_fleet", verbosity=verbosity, stdout=self.stdout)
        ensure_public_tenant()
        if demo:
            self.create_demo()
        if not no_pool:
            made = fill_pool()
            if made:
                self.stdout.write(f"Prepared {made} spare tenant schema(s).")
        if demo:
            self.print_welcome()

    def create_demo(self):
        user_model = get_user_model()
        if not user_model.objects.filter(email=OPERATOR_EMAIL).exists():
            user_model.objects.create_superuser(email=OPERATOR_EMAIL, password=OPERATOR_PASSWORD,
                                                first_name="Platform", last_name="Operator")
        for slug, name, plan_code in DEMO_TENANTS:
            if Tenant.objects.filter(slug=slug).exists():
                continue
            with transaction.atomic():
                result = provision_tenant(
                    slug=slug, name=name, owner_email=f"admin@{slug}.example",
                    admin_password="admin-demo", owner_first_name="Admin",
                    plan=Plan.objects.filter(code=plan_code).first(), refill=False)
                setup = hooks.TenantSetup(tenant=result.tenant, hostname=result.tenant.hostname,
                                          owner_email=result.admin_email)
                with tenant_context(result.tenant):
                    hooks.load_demo(setup)
            self.stdout.write(f"Created demo tenant {slug} in {result.seconds:.2f} s.")

    def print_welcome(self):
        port = settings.SITE_PORT_SUFFIX
        base = f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}"
        lines = [
            "",
            f"Operator console  {base}/operator/   {OPERATOR_EMAIL} / {OPERATOR_PASSWORD}",
        ]
        for slug, _name, _plan in DEMO_TENANTS:
            tenant_base = f"{settings.SITE_SCHEME}://{slug}.{settings.BASE_DOMAIN}{port}"
            lines += [
                f"{slug:<8}  site {tenant_base}/   back office {tenant_base}/app/   "
                f"portal {tenant_base}/portal/   shop {tenant_base}/shop/",
                f"          staff admin@{slug}.example / admin-demo   "
                f"customer customer@{slug}.example / customer-demo",
            ]
        self.stdout.write("\n".join(lines))
