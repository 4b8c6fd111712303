"""Provision one tenant from the command line and print its URL and admin login."""

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError

from tenants.models import Plan
from tenants.provisioning import provision_tenant
from tenants.template import TemplateOutOfDate


class Command(BaseCommand):
    help = ("Create a tenant: create_tenant --slug S --name N --owner-email E [--plan P] "
            "[--time-zone Z]")

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--plan", help="Plan code (starter, growth, enterprise).")
        parser.add_argument("--password", help="Admin password (generated when omitted).")
        parser.add_argument("--time-zone", help="IANA time zone name, e.g. Asia/Shanghai "
                                                "(the site's TIME_ZONE when omitted).")

    def handle(self, *args, slug, name, owner_email, plan=None, password=None, time_zone=None,
               **options):
        plan_obj = None
        if plan:
            plan_obj = Plan.objects.filter(code=plan).first()
            if plan_obj is None:
                raise CommandError(f"Unknown plan: {plan}")
        try:
            result = provision_tenant(slug=slug, name=name, owner_email=owner_email,
                                      plan=plan_obj, admin_password=password,
                                      time_zone=time_zone)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except TemplateOutOfDate as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Tenant {result.tenant.slug} created in {result.seconds:.2f} s")
        self.stdout.write(f"URL:   {result.url}")
        self.stdout.write(f"Time zone: {result.tenant.time_zone}")
        if password:
            self.stdout.write(f"Admin: {result.admin_email} / {password}")
        else:
            self.stdout.write(f"Admin: {result.admin_email} (sets a password at the link below)")
            self.stdout.write(f"Password link (works once): {result.setup_url}")
        self.stdout.write(f"Back office: {result.url}app/")
